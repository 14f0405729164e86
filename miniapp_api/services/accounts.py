"""Employee accounts: WeChat login and the verified phone number."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Employee
from models.base import utcnow
from wx_client import WxClient


def login_with_wechat(session: Session, wx: WxClient, code: str) -> Employee:
    """Exchange `wx.login()`'s code for the employee, creating them on first login.

    WeChat is asked before anything is written: when it refuses or is down, nothing is stored.
    The session key is kept on the employee row and goes nowhere else.
    """
    wx_session = wx.code_to_session(code)
    employee = _employee_by_openid(session, wx_session.openid)
    if employee is None:
        try:
            with session.begin_nested():
                employee = Employee(openid=wx_session.openid)
                session.add(employee)
        except IntegrityError:
            # The same person logging in twice at once: the other request created the row.
            employee = _employee_by_openid(session, wx_session.openid)
            assert employee is not None
    employee.session_key = wx_session.session_key
    if wx_session.unionid:
        employee.unionid = wx_session.unionid
    employee.last_login_at = utcnow()
    session.flush()
    return employee


def store_verified_phone(session: Session, wx: WxClient, employee: Employee, code: str) -> Employee:
    """The phone-number button's code → the number WeChat verified, stored on the employee."""
    employee.phone = wx.phone_number(code)
    session.flush()
    return employee


def _employee_by_openid(session: Session, openid: str) -> Employee | None:
    return session.scalars(select(Employee).where(Employee.openid == openid)).one_or_none()
