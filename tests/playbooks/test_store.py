"""PlaybookStore: hot reload without restart, keeping the last good set on a bad edit."""

from __future__ import annotations

import logging
import threading

import pytest

from playbooks import PlaybookError, PlaybookStore, greeting
from tests.playbooks.conftest import edit


def test_first_load_and_cheap_rechecks(workdir):
    store = PlaybookStore(workdir, check_interval=0)
    first = store.current()
    assert store.current() is first          # unchanged files: same object, no reload
    assert store.version == first.version and store.error is None


def test_bad_edit_keeps_last_good_set_and_a_fix_is_picked_up(workdir, caplog):
    store = PlaybookStore(workdir, check_interval=0)
    good = store.current()

    edit(workdir / "semaforo.yaml", "mode: suggest", "mode: sugerir")
    with caplog.at_level(logging.ERROR, logger="playbooks.loader"):
        assert store.current() is good
    assert store.error and "semaforo.yaml:" in store.error and ".mode:" in store.error
    assert store.version == good.version
    assert any(record.levelno == logging.ERROR for record in caplog.records)

    edit(workdir / "semaforo.yaml", "mode: sugerir", "mode: suggest")
    edit(workdir / "geral.yaml", "Olá, {nome}!", "Oi, {nome}!")
    fixed = store.current()
    assert fixed is not good and store.error is None
    assert store.version == fixed.version != good.version
    assert greeting(fixed, "Ana").startswith("Oi, Ana!")


def test_failed_first_load_raises_until_fixed(workdir):
    edit(workdir / "comercial.yaml", "mode: auto", "mode: manual")
    store = PlaybookStore(workdir, check_interval=0)
    with pytest.raises(PlaybookError, match="comercial.yaml"):
        store.current()
    with pytest.raises(PlaybookError):
        store.current()                       # unchanged: the same error again
    edit(workdir / "comercial.yaml", "mode: manual", "mode: auto")
    assert store.current().intents
    assert store.error is None


def test_check_interval_limits_rechecks(workdir):
    store = PlaybookStore(workdir, check_interval=3600)
    first = store.current()
    edit(workdir / "geral.yaml", "Olá, {nome}!", "Oi, {nome}!")
    assert store.current() is first


def test_concurrent_readers_during_edits(workdir):
    store = PlaybookStore(workdir, check_interval=0)
    store.current()
    failures = []

    def read():
        try:
            for _ in range(30):
                assert store.current().settings.default_team == "Suporte"
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for word in ("Oi", "Olá", "Oi"):
        edit(workdir / "geral.yaml", "{nome}!", "{nome}! ")  # a harmless change each time
    for thread in threads:
        thread.join()
    assert failures == []
