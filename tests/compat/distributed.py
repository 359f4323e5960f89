"""The distributed configuration for the end-to-end tests (`ALEPH_TEST_CONFIG=distributed`):
a fresh PostgreSQL database, OpenSearch index alias and S3 bucket per deployment, from the
servers `scripts/test-all.sh` starts (`ALEPH_TEST_DATABASE_URI`, `ALEPH_TEST_OPENSEARCH_URL`,
`ALEPH_TEST_S3_URL`). The embedded configuration (the default) needs none of this."""
import itertools
import os
import subprocess
import time
import urllib.request

_counter = itertools.count()


def config() -> str:
    value = os.environ.get("ALEPH_TEST_CONFIG", "").strip() or "embedded"
    if value not in ("embedded", "distributed"):
        raise RuntimeError(f"ALEPH_TEST_CONFIG={value!r}: use embedded or distributed")
    return value


def is_distributed() -> bool:
    return config() == "distributed"


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip().rstrip("/")
    if not value:
        raise RuntimeError(
            f"ALEPH_TEST_CONFIG=distributed needs {name} "
            "(scripts/test-all.sh starts the servers and sets it)"
        )
    return value


def unique_name() -> str:
    return f"alephp{os.getpid()}x{next(_counter)}x{time.time_ns() % 10**9}"


def create_database(admin_uri: str, name: str) -> str:
    """A new database on the server of `admin_uri`; returns its URI."""
    server = admin_uri.rsplit("/", 1)[0]
    subprocess.run(
        ["psql", f"{server}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
    )
    return f"{server}/{name}"


def create_bucket(s3_url: str, name: str) -> None:
    request = urllib.request.Request(f"{s3_url}/{name}", method="PUT", data=b"")
    with urllib.request.urlopen(request, timeout=30) as resp:
        if resp.status != 200:
            raise RuntimeError(f"creating bucket {name} at {s3_url}: {resp.status}")


def deployment_env(database_admin_uri=None, opensearch_url=None, s3_url=None) -> dict:
    """The environment of a new deployment: its own database, index alias and bucket.
    The servers default to the ones of the test run."""
    admin = database_admin_uri or _required("ALEPH_TEST_DATABASE_URI")
    opensearch = (opensearch_url or _required("ALEPH_TEST_OPENSEARCH_URL")).rstrip("/")
    s3 = (s3_url or _required("ALEPH_TEST_S3_URL")).rstrip("/")
    name = unique_name()
    database = create_database(admin, name)
    create_bucket(s3, name)
    return {
        "ALEPH_DATABASE_URI": database,
        "ALEPH_INDEX_URI": f"{opensearch}/{name}",
        "ARCHIVE_TYPE": "s3",
        "ARCHIVE_BUCKET": name,
        "ARCHIVE_ENDPOINT_URL": s3,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Every process of the deployment signs and checks the same archive tokens.
        "ALEPH_SECRET_KEY": f"secret-{name}",
    }


class Workers:
    """`aleph worker` processes sharing a deployment, each with its own scratch directory."""

    def __init__(self, aleph: str, base_dir, env: dict, count: int = 2, slots: int = 1):
        self.procs = []
        for n in range(count):
            work = base_dir / f"worker-{n}"
            work.mkdir(parents=True, exist_ok=True)
            log = open(base_dir / f"worker-{n}.log", "wb")
            self.procs.append(
                subprocess.Popen(
                    [aleph, "worker", "-c", str(slots), "--metrics-bind", "0",
                     "--data-dir", str(work)],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env=env,
                )
            )
            log.close()

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
