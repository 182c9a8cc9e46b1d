"""The users of bench/load.py (run by locust in its own process; never imported by tests:
locust monkey-patches the standard library with gevent).

Each simulated user takes the next account of the prepared list (LOAD_USERS, a JSON file),
comes from its own address (X-Forwarded-For, believed through TRUSTED_PROXIES=1 as behind
nginx), logs in with its password and second factor, and works as its role does: township
staff on people lists, searches, person and case pages and the township dashboard; village
liaisons on their villages' people; supervisors on the city dashboard, overview and overdue
lists. One staff member of the import township uploads a roster file and confirms it, and
another exports a list, while everybody else works.

Two phases, measured apart: the sign-ins (every user logs in once, as locust starts them),
then, once every user has signed in, the work (LOAD_WORK_SECONDS). The sign-ins' figures
are written to LOAD_SIGNIN_FILE and the statistics reset when the last user is in, so the
work phase's figures are those of a county at work, not of a county logging in within the
same seconds (each login is a deliberately slow password hash).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re

import gevent
import pyotp
from gevent.event import Event
from locust import HttpUser, between, task

with open(os.environ["LOAD_USERS"], encoding="utf-8") as _file:
    ACCOUNTS = json.load(_file)
_NEXT = itertools.count()
CSRF = re.compile(r'name="csrf[-_]token" (?:value|content)="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEARCHES = ("李", "wang", "zh", "3", "张伟", "yang")


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


# Seconds a user spends on a page before the next one (bench/load.py --think).
_THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "5,15").split(","))
_EXPECTED = int(os.environ.get("LOAD_EXPECTED", "0"))  # users; 0: no separate sign-in phase
_WORK_SECONDS = float(os.environ.get("LOAD_WORK_SECONDS", "60"))
_SIGNED_IN = itertools.count(1)
_ALL_IN = Event()
SIGN_IN = ("login form", "login", "second factor form", "second factor")


def _signed_in(environment) -> None:
    """One more user has signed in (or failed to); the last one ends the sign-in phase: its
    figures are written, the statistics reset, and the work phase runs for its seconds."""
    if next(_SIGNED_IN) != _EXPECTED:
        return
    entries = environment.stats.entries.values()
    total = environment.stats.total
    figures = {"seconds": total.last_request_timestamp - total.start_time,
               "requests": total.num_requests, "failures": total.num_failures,
               "kinds": {e.name: {"count": e.num_requests, "failures": e.num_failures,
                                  "median": e.median_response_time,
                                  "p95": e.get_response_time_percentile(0.95),
                                  "max": e.max_response_time} for e in entries}}
    with open(os.environ["LOAD_SIGNIN_FILE"], "w", encoding="utf-8") as out:
        json.dump(figures, out)
    environment.stats.reset_all()
    _ALL_IN.set()
    gevent.spawn_later(_WORK_SECONDS, environment.runner.quit)


class PortalUser(HttpUser):
    wait_time = between(*_THINK)

    def on_start(self):
        n = next(_NEXT)
        self.account = ACCOUNTS["users"][n % len(ACCOUNTS["users"])]
        self.client.headers["X-Forwarded-For"] = f"10.{n // 250 % 250}.{n % 250}.{7 + n // 62500}"
        self.client.headers["Accept-Language"] = "zh-CN"
        self.rng = random.Random(n)
        page = self.client.get("/auth/login", name="login form").text
        answer = self.client.post("/auth/login", name="login", data={
            "csrf_token": _csrf(page), "username": self.account["username"],
            "password": ACCOUNTS["password"]}, allow_redirects=False)
        if answer.headers.get("Location", "").endswith("/auth/second-factor"):
            form = self.client.get("/auth/second-factor", name="second factor form").text
            self.client.post("/auth/second-factor", name="second factor", data={
                "csrf_token": _csrf(form), "code": pyotp.TOTP(ACCOUNTS["totp"]).now()})
        if _EXPECTED:
            _signed_in(self.environment)
            _ALL_IN.wait()
            # Users do not all click in the same second: each starts after part of a page's
            # reading time.
            gevent.sleep(self.rng.uniform(0, _THINK[1]))

    def _t(self, path: str) -> str:
        return f"/t/{self.account['township']}{path}"

    @task(5)
    def work(self):
        role = self.account["role"]
        if role in ("supervisor", "city_admin"):
            self._city()
        elif role == "importer":
            self._import()
        elif role == "exporter":
            self._export()
        else:
            self._township()

    def _township(self):
        pick = self.rng.random()
        if pick < 0.35:
            self.client.get(self._t("/persons"), name="people list")
        elif pick < 0.55:
            self.client.get(self._t(f"/persons?q={self.rng.choice(SEARCHES)}"), name="search")
        elif pick < 0.75 and self.account["persons"]:
            person = self.rng.choice(self.account["persons"])
            self.client.get(self._t(f"/persons/{person}"), name="person page")
        elif pick < 0.85 and self.account["cases"]:
            case = self.rng.choice(self.account["cases"])
            self.client.get(self._t(f"/cases/{case}"), name="case page")
        elif pick < 0.93 and self.account["role"] == "township_staff":
            self.client.get(self._t("/cases/"), name="case list")
        elif self.account["role"] == "township_staff":
            self.client.get(self._t("/dashboard/"), name="township dashboard")
        else:
            self.client.get(self._t("/persons"), name="people list")

    def _city(self):
        pick = self.rng.random()
        if pick < 0.5:
            self.client.get("/city/dashboard/", name="city dashboard")
        elif pick < 0.75:
            self.client.get("/city/", name="city overview")
        else:
            self.client.get("/city/review/overdue", name="overdue list")

    def _import(self):
        """Upload the roster file; the job worker checks it, the user confirms, the job
        worker imports it; the user follows both on the progress endpoint meanwhile."""
        page = self.client.get(self._t("/imports/new"), name="import form").text
        with open(ACCOUNTS["roster_file"], "rb") as f:
            answer = self.client.post(self._t("/imports/new"), name="import upload", data={
                "csrf_token": _csrf(page), "list_kind": "suspected"},
                files={"file": ("roster.xlsx", f, XLSX)},
                allow_redirects=False)
        job = answer.headers.get("Location", "")
        if answer.status_code != 302 or "/imports/jobs/" not in job:
            return
        job = job[job.index("/t/"):]
        if not self._follow(job, "ready"):
            return
        status = self.client.get(job, name="import job page")
        self.client.post(job + "/confirm", name="import confirm",
                         data={"csrf_token": _csrf(status.text)}, allow_redirects=False)
        self._follow(job, "done")

    def _follow(self, job: str, until: str) -> bool:
        for _ in range(120):
            shown = self.client.get(job + "/progress", name="import progress").json()
            if shown["status"] == until:
                return True
            if shown["status"] == "failed":
                return False
            gevent.sleep(1)
        return False

    def _export(self):
        """Ask for the township's list (a job writes it), follow the job's page until the
        file is offered, download it."""
        page = self.client.get(self._t("/imports/export"), name="export page").text
        answer = self.client.post(self._t("/imports/export/expired.xlsx"), name="export ask",
                                  data={"csrf_token": _csrf(page)}, allow_redirects=False)
        job = answer.headers.get("Location", "")
        if answer.status_code != 302 or "/jobs/" not in job:
            return
        job = job[job.index("/t/"):]
        for _ in range(120):
            shown = self.client.get(job + "/progress", name="export progress").json()
            if not shown["active"]:
                break
            gevent.sleep(1)
        page = self.client.get(job, name="file job page").text
        if 'id="job-file-download"' in page:
            with self.client.get(job + "/file", name="export download", stream=True) as file:
                for _ in file.iter_content(1 << 16):
                    pass
