"""Vendor name → vendor class. Built-ins are imported lazily by module path; plug-ins
come from the entry-point group ``smscli.vendors`` (``name = "package.module:Class"``).
A plug-in cannot take a built-in's name."""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any

from smscli.errors import ConfigError

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.vendors.base import Vendor, VendorEvents

ENTRY_POINT_GROUP = "smscli.vendors"

BUILTIN: dict[str, str] = {
    "oneshot": "smscli.vendors.oneshot:OneShotVendor",
    "bizppurio": "smscli.vendors.bizppurio:BizppurioVendor",
    "netshot": "smscli.vendors.netshot:NetshotVendor",
    "bizclient": "smscli.vendors.bizclient:BizclientVendor",
    "sandbox": "smscli.vendors.sandbox:SandboxVendor",
}


def _plugins() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BUILTIN}


def known_vendors() -> list[str]:
    """Built-in vendor names, then plug-ins in name order."""
    return [*BUILTIN, *sorted(_plugins())]


def _unknown(name: str) -> ConfigError:
    known = known_vendors()
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    guess = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(f"unknown vendor '{name}'", hint=f"{guess}known vendors: {', '.join(known)}")


def vendor_class(name: str) -> type[Vendor]:
    """The class registered as ``name``; ConfigError when unknown or not loadable."""
    from smscli.vendors.base import Vendor

    target = BUILTIN.get(name)
    try:
        if target is not None:
            module_name, _, attr = target.partition(":")
            cls = getattr(importlib.import_module(module_name), attr)
        else:
            plugin = _plugins().get(name)
            if plugin is None:
                raise _unknown(name)
            target = plugin.value
            cls = plugin.load()
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        raise ConfigError(
            f"vendor '{name}' cannot be loaded: missing module {missing}",
            hint="install smscli with that vendor's extra, e.g. pip install 'smscli[bizclient]'"
            if name == "bizclient"
            else "reinstall smscli or the plug-in that provides it",
        ) from None
    except AttributeError:
        raise ConfigError(f"vendor '{name}' cannot be loaded: {target} does not exist") from None
    if not (isinstance(cls, type) and issubclass(cls, Vendor)):
        raise ConfigError(f"vendor '{name}' ({target}) is not a smscli Vendor class")
    return cls


def create_vendor(profile: Profile, events: VendorEvents) -> Vendor:
    """A vendor for ``profile`` (by its ``vendor`` key), recording events in ``events``."""
    return vendor_class(profile.vendor)(profile, events)


def abroad_vendors() -> list[str]:
    """Names of the vendors that send to numbers outside Korea (``Vendor.abroad``); one
    that cannot be loaded here (a missing extra) is left out."""
    names = []
    for name in known_vendors():
        try:
            if getattr(vendor_class(name), "abroad", None) is not None:
                names.append(name)
        except ConfigError:
            continue
    return names
