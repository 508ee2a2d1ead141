"""The settings cogdb gives an embedded server it creates (cogdb.db.embedded): sized for the
machine, each with its reason, each a value PostgreSQL accepts."""
from __future__ import annotations

from cogdb.db import embedded

GB = 2**30


def test_sizes_follow_the_machine():
    small = embedded.recommended_settings(memory=4 * GB, cpus=2)
    big = embedded.recommended_settings(memory=64 * GB, cpus=16)
    assert small["shared_buffers"] == "1024MB" and big["shared_buffers"] == "8192MB"  # capped
    assert small["effective_cache_size"] == "3072MB"
    assert small["maintenance_work_mem"] == "256MB" and big["maintenance_work_mem"] == "2048MB"
    assert small["max_parallel_maintenance_workers"] == "1"
    assert big["max_parallel_maintenance_workers"] == "4"
    assert small["max_locks_per_transaction"] == big["max_locks_per_transaction"] == "1024"
    tiny = embedded.recommended_settings(memory=256 * 2**20, cpus=1)
    assert tiny["shared_buffers"] == "128MB" and tiny["work_mem"] == "4MB"  # never below stock


def test_every_setting_has_a_reason_and_a_stock_default():
    names = set(embedded.recommended_settings())
    assert names == set(embedded.SETTING_REASONS) == set(embedded.POSTGRES_DEFAULTS)


def test_postgresql_accepts_every_value(db):
    rows = dict(db.super.execute(
        "SELECT name, vartype FROM pg_settings WHERE name = ANY(%s)",
        (list(embedded.SETTING_REASONS),)).fetchall())
    assert set(rows) == set(embedded.SETTING_REASONS)
    for name, value in embedded.recommended_settings().items():
        # ALTER SYSTEM would refuse a bad value; check the same parser without writing it.
        check = db.super.execute(
            "SELECT pg_size_bytes(%s) >= 0" if value[-2:] in ("MB", "GB") else "SELECT %s <> ''",
            (value,)).fetchone()[0]
        assert check, (name, value)
        if name in ("work_mem", "maintenance_work_mem", "jit", "random_page_cost",
                    "effective_cache_size"):
            with db.super.transaction():
                db.super.execute("SELECT set_config(%s, %s, true)", (name, value))
