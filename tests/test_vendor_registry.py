"""The vendor registry: built-ins by module path, plug-ins by entry point, clear errors."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from smscli.errors import ConfigError, ExitStatus
from smscli.vendors import registry
from smscli.vendors.base import Vendor


@pytest.mark.parametrize("name", list(registry.BUILTIN))
def test_each_builtin_resolves_to_a_vendor_named_after_it(name):
    module = registry.BUILTIN[name].partition(":")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not on this branch yet")
    cls = registry.vendor_class(name)
    assert issubclass(cls, Vendor) and cls.name == name


def test_unknown_vendor_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        registry.vendor_class("oneshoot")
    assert err.value.exit_status == ExitStatus.CONFIG
    assert str(err.value) == (
        "unknown vendor 'oneshoot' (did you mean 'oneshot'? known vendors: "
        "oneshot, bizppurio, netshot, bizclient, sandbox)"
    )


@pytest.fixture
def plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution on sys.path declaring entry points in group smscli.vendors."""
    (tmp_path / "acme_sms.py").write_text(
        textwrap.dedent(
            """
            from smscli.vendors.base import Vendor

            class AcmeVendor(Vendor):
                name = "acme"

            NotAVendor = object
            """
        )
    )
    info = tmp_path / "acme_sms-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sms\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[smscli.vendors]\n"
        "acme = acme_sms:AcmeVendor\n"
        "broken = acme_sms:NotAVendor\n"
        "missing = acme_nowhere:Vendor\n"
        "oneshot = acme_sms:AcmeVendor\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("acme_sms", None)


def test_plugins_come_from_entry_points(plugin_dist):
    assert registry.vendor_class("acme").__name__ == "AcmeVendor"
    assert registry.known_vendors()[-3:] == ["acme", "broken", "missing"]


def test_a_plugin_cannot_take_a_builtin_name(plugin_dist):
    assert registry.known_vendors().count("oneshot") == 1
    assert "oneshot" not in registry._plugins()
    assert registry.vendor_class("sandbox").__module__ == "smscli.vendors.sandbox"


def test_bad_plugins_are_config_errors(plugin_dist):
    with pytest.raises(
        ConfigError, match=r"vendor 'broken' \(acme_sms:NotAVendor\) is not a smscli Vendor class"
    ):
        registry.vendor_class("broken")
    with pytest.raises(
        ConfigError, match="vendor 'missing' cannot be loaded: missing module acme_nowhere"
    ):
        registry.vendor_class("missing")
