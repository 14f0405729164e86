"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.base import Base, db
from models.employee import Employee

__all__ = ["Base", "Employee", "db"]
