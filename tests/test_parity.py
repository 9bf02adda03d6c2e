"""Every public method of a sync client has an async twin with the same parameters, and back."""

from __future__ import annotations

import inspect

import pytest

import sdk

PAIRS = [
    (getattr(sdk, name.removeprefix("Async")), getattr(sdk, name))
    for name in sdk.__all__
    if name.startswith("Async") and name.endswith("Client") and name not in ("AsyncAPIClient",)
]
# Lifecycle names differ on purpose: close/__enter__ vs aclose/__aenter__.
LIFECYCLE = {"close", "aclose"}


def public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and name not in LIFECYCLE
    }


def test_there_are_pairs() -> None:
    assert PAIRS, "no Async*Client exported"


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=[a.__name__ for _, a in PAIRS])
def test_same_methods_same_parameters(sync_cls: type, async_cls: type) -> None:
    sync_methods, async_methods = public(sync_cls), public(async_cls)
    assert sync_methods.keys() == async_methods.keys()
    for name, signature in sync_methods.items():
        assert list(signature.parameters) == list(async_methods[name].parameters), name
        member = getattr(async_cls, name)
        if inspect.iscoroutinefunction(getattr(sync_cls, name)):
            continue
        is_async = inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member)
        returns_async_thing = "Async" in str(async_methods[name].return_annotation)
        sends = name not in ("batcher", "with_options", "build_request", "check_response", "make_error",
                             "error_message", "status_in_body", "transport_error", "describe")
        if sends:
            assert is_async or returns_async_thing, f"{async_cls.__name__}.{name} should be async"
