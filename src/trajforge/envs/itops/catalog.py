"""Static knowledge of the itops world: software flavors, their config keys, and realistic text.

Nothing here is random or mutable: the task generator draws from these tables, the world builder
renders configs and logs from them, and the health model uses the validators to decide whether a
config value would make a process refuse to start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Which config section of a client names each dependency role.
DEP_SECTION = {"db": "database", "cache": "cache", "queue": "queue", "app": "upstream"}
#: Which roles may depend on which (the dependency graph of every task is a subset).
ROLE_DEPS = {
    "app": ("db", "cache", "queue"),
    "worker": ("db", "queue"),
    "gateway": ("app",),
    "db": (),
    "cache": (),
    "queue": (),
}
#: Boot order of roles: every role comes after the roles it may depend on.
ROLE_ORDER = ("db", "cache", "queue", "app", "worker", "gateway")
DATASTORES = frozenset({"db", "cache", "queue"})


@dataclass(frozen=True)
class Flavor:
    """A piece of software playing a role: default port, version and config keys.

    ``config`` lists (dotted key, default value, validator kind); ``typo_keys`` are the keys a
    "typo in the service's own config" fault may break.
    """

    name: str
    role: str
    port: int
    version: str
    config: tuple[tuple[str, str, str], ...]
    typo_keys: tuple[str, ...] = ()
    pool_key: str = ""


_POLICIES = (
    "noeviction|allkeys-lru|volatile-lru|allkeys-random|volatile-ttl|allkeys-lfu|volatile-lfu"
)
_ISOLATION = "READ-UNCOMMITTED|READ-COMMITTED|REPEATABLE-READ|SERIALIZABLE"

FLAVORS: dict[str, Flavor] = {
    f.name: f
    for f in (
        Flavor(
            "postgres",
            "db",
            5432,
            "15.6",
            (
                ("listen.address", "0.0.0.0", "text"),
                ("listen.port", "5432", "port"),
                ("max_connections", "200", "int"),
                ("shared_buffers", "2GB", "size"),
                ("wal_level", "replica", "enum:minimal|replica|logical"),
                ("log_directory", "/var/log/postgres", "text"),
            ),
            ("max_connections", "shared_buffers", "wal_level"),
            "max_connections",
        ),
        Flavor(
            "mysql",
            "db",
            3306,
            "8.0.36",
            (
                ("listen.bind_address", "0.0.0.0", "text"),
                ("listen.port", "3306", "port"),
                ("max_connections", "300", "int"),
                ("innodb_buffer_pool_size", "4G", "size"),
                ("transaction_isolation", "REPEATABLE-READ", f"enum:{_ISOLATION}"),
                ("log_error", "/var/log/mysql/mysql.log", "text"),
            ),
            ("max_connections", "innodb_buffer_pool_size", "transaction_isolation"),
            "max_connections",
        ),
        Flavor(
            "redis",
            "cache",
            6379,
            "7.2.4",
            (
                ("listen.bind", "0.0.0.0", "text"),
                ("listen.port", "6379", "port"),
                ("maxmemory", "2gb", "size"),
                ("maxmemory_policy", "allkeys-lru", f"enum:{_POLICIES}"),
                ("appendonly", "no", "enum:yes|no"),
            ),
            ("maxmemory", "maxmemory_policy", "appendonly"),
        ),
        Flavor(
            "memcached",
            "cache",
            11211,
            "1.6.23",
            (
                ("listen.port", "11211", "port"),
                ("memory_mb", "2048", "int"),
                ("max_conns", "4096", "int"),
                ("threads", "4", "int"),
            ),
            ("memory_mb", "max_conns", "threads"),
        ),
        Flavor(
            "rabbitmq",
            "queue",
            5672,
            "3.12.13",
            (
                ("listen.port", "5672", "port"),
                ("vm_memory_high_watermark", "0.4", "float"),
                ("disk_free_limit", "2GB", "size"),
                ("heartbeat", "60", "int"),
            ),
            ("vm_memory_high_watermark", "disk_free_limit", "heartbeat"),
        ),
        Flavor(
            "nats",
            "queue",
            4222,
            "2.10.11",
            (
                ("listen.port", "4222", "port"),
                ("max_payload", "1MB", "size"),
                ("max_connections", "64000", "int"),
                ("write_deadline", "10s", "duration"),
            ),
            ("max_payload", "max_connections", "write_deadline"),
        ),
        Flavor(
            "nginx",
            "gateway",
            443,
            "1.24.0",
            (
                ("listen.port", "443", "port"),
                ("worker_processes", "4", "int"),
                ("tls.cert_path", "", "text"),
                ("tls.key_path", "", "text"),
                ("upstream.host", "", "text"),
                ("upstream.port", "", "port"),
            ),
        ),
        Flavor(
            "envoy",
            "gateway",
            443,
            "1.29.1",
            (
                ("listen.port", "443", "port"),
                ("concurrency", "4", "int"),
                ("tls.cert_path", "", "text"),
                ("tls.key_path", "", "text"),
                ("upstream.host", "", "text"),
                ("upstream.port", "", "port"),
            ),
        ),
    )
}

FLAVORS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "db": ("postgres", "mysql"),
    "cache": ("redis", "memcached"),
    "queue": ("rabbitmq", "nats"),
    "gateway": ("nginx", "envoy"),
    "app": ("node", "python", "go", "jvm"),
    "worker": ("node", "python", "go", "jvm"),
}

APP_NAMES = (
    "api",
    "web",
    "checkout",
    "orders",
    "billing",
    "catalog",
    "accounts",
    "payments",
    "inventory",
    "storefront",
    "booking",
    "ledger",
    "shipping",
    "profiles",
    "search-api",
    "notifications",
)
COMPANIES = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "wonka",
    "oscorp",
    "aperture",
    "pied-piper",
    "massive-dynamic",
)
TLDS = ("com", "io", "net", "dev", "co")
APPROVERS = (
    "Dana Ruiz",
    "Priya Natarajan",
    "Tomás Herrera",
    "Mei Lin",
    "Olusegun Bello",
    "Sara Kowalski",
    "Jonas Berg",
    "Aisha Rahman",
    "Marco Rossi",
    "Hannah Schultz",
)
EDITORS = ("jdoe", "mkumar", "asmith", "lchen", "rgarcia", "tnguyen", "bwilson", "kpatel")

#: Environment variables an app release may require, with a realistic value template.
ENV_VARS = (
    ("SMTP_HOST", "smtp.{domain}"),
    ("PAYMENTS_API_URL", "https://payments.{domain}/v2"),
    ("FEATURE_FLAGS_URL", "https://flags.{domain}/api/flags"),
    ("OBJECT_STORE_BUCKET", "{company}-{app}-assets"),
    ("SESSION_SECRET_FILE", "/srv/{app}/secrets/session.key"),
    ("JWT_PUBLIC_KEY_PATH", "/srv/{app}/secrets/jwt.pub"),
    ("RATE_LIMIT_PER_MIN", "600"),
    ("SENTRY_DSN", "https://ingest.sentry.{domain}/42"),
    ("SEARCH_INDEX_URL", "http://search.internal:9200/{app}"),
    ("TAX_SERVICE_URL", "https://tax.{domain}/v1"),
    ("EXPORT_DIR", "/srv/{app}/exports"),
    ("GEOIP_DB_PATH", "/srv/{app}/data/GeoLite2-City.mmdb"),
)
BASE_ENV = (
    ("NODE_ENV", "production"),
    ("LOG_FORMAT", "json"),
    ("TZ", "UTC"),
    ("HTTP_TIMEOUT_MS", "5000"),
)

# ---------------------------------------------------------------- validators

_INT = re.compile(r"^\d+$")
_FLOAT = re.compile(r"^\d+(\.\d+)?$")
_SIZE = re.compile(r"^\d+\s?(k|m|g|kb|mb|gb)$", re.IGNORECASE)
_DURATION = re.compile(r"^\d+(ms|s|m|h)$")


def expected_form(kind: str) -> str:
    """What a validator kind accepts, in words (used in error messages)."""
    if kind.startswith("enum:"):
        return "one of " + ", ".join(kind[5:].split("|"))
    return {
        "int": "an integer",
        "port": "a port number 1-65535",
        "float": "a decimal number such as 0.4",
        "size": "a size such as 512MB or 2GB",
        "duration": "a duration such as 500ms or 10s",
    }.get(kind, "a value")


def is_valid(kind: str, value: str) -> bool:
    """Whether a config value is acceptable for a validator kind."""
    if kind == "int":
        return bool(_INT.match(value))
    if kind == "port":
        return bool(_INT.match(value)) and 0 < int(value) < 65536
    if kind == "float":
        return bool(_FLOAT.match(value))
    if kind == "size":
        return bool(_SIZE.match(value))
    if kind == "duration":
        return bool(_DURATION.match(value))
    if kind.startswith("enum:"):
        return value in kind[5:].split("|")
    return True


def key_kind(flavor: str, key: str) -> str:
    """The validator kind of a flavor's config key ("text" if unknown)."""
    spec = FLAVORS.get(flavor)
    if spec is None:
        return APP_KEY_KINDS.get(key, "text")
    for k, _, kind in spec.config:
        if k == key:
            return kind
    return "text"


APP_KEY_KINDS = {
    "service.port": "port",
    "service.log_level": "enum:debug|info|warn|error",
    "service.workers": "int",
    "worker.concurrency": "int",
    "worker.log_level": "enum:debug|info|warn|error",
    "database.port": "port",
    "database.pool_size": "int",
    "cache.port": "port",
    "queue.port": "port",
}

# ---------------------------------------------------------------- realistic text

NOISE: dict[str, tuple[str, ...]] = {
    "app": (
        "GET /v1/{r} 200 {ms}ms",
        "POST /v1/{r} 201 {ms}ms",
        "GET /healthz 200 1ms",
        "GET /v1/{r}/{id} 200 {ms}ms",
        "PUT /v1/{r}/{id} 200 {ms}ms",
        "db pool: {n} active, {m} idle",
        "cache hit ratio 0.9{n}",
        "published event {r}.updated id={id}",
    ),
    "worker": (
        "job {r}.sync id={id} done in {ms}ms",
        "job {r}.reindex id={id} done in {ms}ms",
        "consumer heartbeat ok (prefetch={n})",
        "processed {m} messages in the last minute",
        "job {r}.export id={id} done in {ms}ms",
    ),
    "db": (
        "checkpoint starting: time",
        "checkpoint complete: wrote {m} buffers ({n}.{n}%); write={ms}.0 s",
        'automatic vacuum of table "{r}": index scans: 1',
        "connection authorized: user=app database={r}",
        'automatic analyze of table "{r}"',
    ),
    "cache": (
        "DB saved on disk",
        "{m} changes in 300 seconds. Saving...",
        "Background saving terminated with success",
        "Accepted connection from 10.0.{n}.{id}",
        "evicted {m} keys in the last minute",
    ),
    "queue": (
        "accepting AMQP connection 10.0.{n}.{id}:{ms}",
        "connection closed normally 10.0.{n}.{id}:{ms}",
        "queue '{r}.events' has {m} messages ready",
        "memory use {n}{n}% of high watermark",
    ),
    "gateway": (
        '10.1.{n}.{id} "GET /v1/{r} HTTP/2.0" 200 {m} rt={ms}ms',
        '10.1.{n}.{id} "POST /v1/{r} HTTP/2.0" 201 {m} rt={ms}ms',
        '10.1.{n}.{id} "GET /static/app.{id}.js HTTP/2.0" 304 0 rt=1ms',
        "upstream keepalive pool: {n} idle connections",
    ),
}
RESOURCES = (
    "orders",
    "carts",
    "users",
    "invoices",
    "products",
    "sessions",
    "payments",
    "shipments",
)

#: A bad release's error, by runtime: (crash-loop message, error-rate message).
RELEASE_ERRORS: dict[str, tuple[str, ...]] = {
    "node": (
        "TypeError: Cannot read properties of undefined (reading 'currency') at formatPrice "
        "(/srv/{app}/releases/{v}/dist/pricing.js:88:31)",
        'UnhandledPromiseRejection: Error: column "discount_code" does not exist',
    ),
    "python": (
        "AttributeError: 'NoneType' object has no attribute 'currency' "
        "(/srv/{app}/releases/{v}/app/pricing.py, line 88)",
        "KeyError: 'shipping_zone' in serializers.py line 212",
    ),
    "go": (
        "panic: runtime error: invalid memory address or nil pointer dereference "
        "[signal SIGSEGV] at pricing.go:88",
        "http: panic serving 10.1.4.22:51234: index out of range [3] with length 3",
    ),
    "jvm": (
        'java.lang.NullPointerException: Cannot invoke "Money.currency()" because '
        '"price" is null at PriceFormatter.java:88',
        "java.lang.IllegalStateException: Duplicate key discount_code at OrderMapper.java:212",
    ),
}

ENV_MISSING_MSG = {
    "node": "Error: required environment variable {var} is not set (config/env.js:14)",
    "python": "KeyError: '{var}': required environment variable is not set (settings.py, line 31)",
    "go": "config: required environment variable {var} is not set",
    "jvm": "IllegalStateException: required environment variable {var} is not set",
}
