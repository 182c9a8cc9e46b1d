"""gunicorn settings of the portal (docs/deploy.md): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Workers are processes (sync): each request holds one for its length, so the count is what
carries concurrent users; PostgreSQL connections = workers × the pool size (5) + overflow.
"""
import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PORTAL_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A page answers in well under a second; an Excel import or a PDF batch runs as a job, never
# in a request. A request still running after this is killed and logged.
timeout = int(os.environ.get("PORTAL_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then (memory held by a large export is given back).
max_requests = 2000
max_requests_jitter = 200
# nginx in front sets X-Forwarded-*; the portal trusts TRUSTED_PROXIES hops (ProxyFix).
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
# The worker's pid beside the request id: which worker served a request can be followed.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s pid=%(p)s'
errorlog = "-"


def on_starting(server):
    """Prometheus multiprocess mode: start from an empty metrics folder."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
