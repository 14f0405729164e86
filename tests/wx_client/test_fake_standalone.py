"""`python -m wx_client.fake` serves the fake WeChat on its own, as API.md says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import requests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_fake_runs_alone_and_hands_out_login_codes_that_work_once():
    port = _free_port()
    env = dict(os.environ, WECHAT_APPID="wx-alone", WECHAT_SECRET="alone-secret")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wx_client.fake",
            "--port",
            str(port),
            "--notify-url",
            "http://127.0.0.1:9/n",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                code = requests.post(base + "__fake__/login-code", json={"openid": "o1"}, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        code = code.json()["code"]
        params = {
            "appid": "wx-alone",
            "secret": "alone-secret",
            "js_code": code,
            "grant_type": "authorization_code",
        }
        first = requests.get(base + "sns/jscode2session", params=params, timeout=2).json()
        second = requests.get(base + "sns/jscode2session", params=params, timeout=2).json()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert first["openid"] == "o1"
    assert second["errcode"] == 40163
