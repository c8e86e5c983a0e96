"""The ASGI application: start-up (schema, keys), middleware and routes."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from tessera.core.admin.access import ensure_admin_api
from tessera.core.keyring import KeyRing, ensure_current_keys
from tessera.core.signing_algorithms import verify_algorithms_in_use
from tessera.settings import Settings, ensure_secret_key, load_settings
from tessera.store import Store, migrate
from tessera.store.prune import DAY, PrunePolicy
from tessera.store.prune_schedule import PruneSchedule
from tessera.web.logs import RequestLogMiddleware
from tessera.web.middleware import EdgeMiddleware
from tessera.web.routes import metrics_route, routes
from tessera.web.runtime import Runtime
from tessera.web.templating import build_templates

# The standard OpenTelemetry variable whose presence turns tracing on.
OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


async def open_store(settings: Settings, *, migrate_embedded: bool = True) -> Store:
    """Connect to an up-to-date schema: with `migrate_embedded` the embedded database is
    migrated (and created) on the spot; PostgreSQL must have been upgraded with
    `tessera db upgrade` (several nodes must not race to migrate a shared database).

    Raises:
        SchemaOutOfDateError: the schema is not at this version's head.
        StoreUnavailableError: the database cannot be reached.
    """
    upgraded = migrate_embedded and settings.is_embedded
    if upgraded:
        migrate.upgrade(settings.resolved_database_url)
    store = await Store.open(
        settings.resolved_database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        statement_timeout=settings.db_statement_timeout,
        connect_timeout=settings.db_connect_timeout,
    )
    try:
        await migrate.verify_schema(store.database)
        if upgraded:
            await provision(store, settings)
    except BaseException:
        await store.close()
        raise
    return store


async def provision(store: Store, settings: Settings) -> None:
    """What a deployment needs besides its schema, made where the schema is upgraded
    (`tessera db upgrade`, or the embedded database's own upgrade at start-up): the
    built-in admin API for this issuer (core.admin.access), unless it exists."""
    async with store.transaction() as tx:
        await ensure_admin_api(tx, settings.issuer, int(time.time()), settings.enabled_algorithms)


async def open_runtime(settings: Settings, clock: Callable[[], float] = time.time) -> Runtime:
    """Connect, check that no client or API signs with a disabled algorithm, make sure
    a current key exists for every enabled one, and load the keys.

    Raises:
        AlgorithmNotEnabledError: a client or API signs with a disabled algorithm.
        KeyDecryptionError: a key cannot be opened with this secret key.
        SchemaOutOfDateError, StoreUnavailableError: see `open_store`.
    """
    store = await open_store(settings)
    try:
        algorithms = settings.enabled_algorithms
        async with store.transaction() as tx:
            await verify_algorithms_in_use(tx, algorithms)
            await ensure_current_keys(tx.keys, algorithms, settings.secret_key, int(clock()))
        runtime = Runtime(
            settings=settings,
            store=store,
            keyring=KeyRing(settings.secret_key, settings.key_cache_ttl, algorithms),
            templates=build_templates(settings.templates_dir),
            clock=clock,
        )
        await runtime.reload_keys(clock())
    except BaseException:
        await store.close()
        raise
    return runtime


def prune_policy(settings: Settings) -> PrunePolicy:
    """What pruning keeps, from the settings (the server and `tessera db prune` agree)."""
    return PrunePolicy(
        audit_retention=settings.audit_retention_days * DAY,
        access_token_lifetime=settings.access_token_lifetime,
    )


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> Starlette:
    """The tessera server for these settings (secret key already resolved). It prunes
    in the background every `prune_interval` seconds (store.prune_schedule)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await open_runtime(settings, clock)
        app.state.runtime = runtime
        stop_listener = None
        if metrics is not None:
            metrics.watch(runtime)
            if settings.metrics_port is not None:
                stop_listener = start_listener(
                    metrics, settings.metrics_host, settings.metrics_port
                )
        schedule = PruneSchedule(
            runtime.store.database,
            prune_policy(settings),
            interval=settings.prune_interval,
            clock=clock,
        )
        if settings.prune_interval:
            schedule.start()
        try:
            yield
        finally:
            if tracer_provider is not None:
                tracer_provider.shutdown()  # Sends the spans still batched.
            if stop_listener is not None:
                stop_listener()
            await schedule.stop()
            await runtime.store.close()

    middleware = [Middleware(EdgeMiddleware)]
    if settings.log_format == "json":
        middleware.insert(0, Middleware(RequestLogMiddleware))
    metrics = None
    if settings.metrics_enabled:
        # Imported here: a node without metrics never loads prometheus_client.
        from tessera.web.metrics import Metrics, MetricsMiddleware, start_listener

        metrics = Metrics(clock)
        middleware.insert(-1, Middleware(MetricsMiddleware, metrics=metrics))
    tracer_provider = None
    if tracing_wanted():
        # Imported here: without the variable, no OpenTelemetry module is loaded.
        from tessera.web.tracing import build_tracer_provider, tracing_middleware

        tracer_provider = build_tracer_provider()
        middleware[:0] = tracing_middleware(tracer_provider)
    app = Starlette(
        routes=[*routes, metrics_route] if settings.metrics else routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    # Starlette would answer `/authorize/` with a 307 to `/authorize` on whatever host
    # the Host header names, repeating a POST there (RFC 9700 4.12). Such a path is
    # unknown, and gets a 404 like any other.
    app.router.redirect_slashes = False
    return app


def tracing_wanted() -> bool:
    """OpenTelemetry tracing is on when an OTLP endpoint is named (web.tracing)."""
    return bool(os.environ.get(OTLP_ENDPOINT))


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` worker processes: settings from the environment."""
    return create_app(ensure_secret_key(load_settings()))
