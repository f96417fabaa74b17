"""Device access: one Transport interface, backends looked up lazily by name.

``import hidups`` never loads libusb or hidapi: a backend module is imported only when
it is asked for, and a missing native library then raises :class:`BackendUnavailable`
naming what to install (python-can's interface registry works the same way).

``open_transport(options)`` takes a ups.conf section's options:

* ``port``: ``auto`` (USB, the default) or ``replay:PATH`` (serve a capture file);
* ``backend``: ``pyusb`` (default), ``hid`` or ``replay``;
* NUT's matching options (``vendorid``, ``productid``, ``vendor``, ``product``,
  ``serial``, ``bus``, ``device``, ``busport``, ``allow_duplicates``) and hidups'
  ``port_path``; NUT's ``usb_config_index``, ``usb_hid_rep_index``,
  ``usb_hid_desc_index``, ``usb_hid_ep_in``, ``usb_hid_ep_out``;
* ``libusb``: path of a libusb-1.0 shared library (env ``HIDUPS_LIBUSB`` also).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from hidups.errors import BackendUnavailable, ConfigError
from hidups.transport.base import Transport
from hidups.transport.matching import DeviceMatcher
from hidups.transport.replay import open_replay

__all__ = [
    "BACKENDS",
    "DeviceMatcher",
    "Transport",
    "backend_name_for",
    "get_backend",
    "open_transport",
]

#: backend name → (module, class). Modules are imported on first use only.
BACKENDS: dict[str, tuple[str, str]] = {
    "pyusb": ("hidups.transport.pyusb_backend", "PyUsbTransport"),
    "hid": ("hidups.transport.hid_backend", "HidTransport"),
    "replay": ("hidups.transport.replay", "ReplayTransport"),
}

DEFAULT_BACKEND = "pyusb"


def get_backend(name: str) -> type[Transport]:
    """The Transport class of backend ``name``; BackendUnavailable if it cannot load."""
    try:
        module_name, class_name = BACKENDS[name]
    except KeyError:
        raise ConfigError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})",
                          option="backend") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(f"backend {name!r} is not available: {exc}") from exc
    backend: type[Transport] = getattr(module, class_name)
    return backend


def backend_name_for(options: Mapping[str, str]) -> str:
    """``replay`` for a ``replay:`` port, else the ``backend`` option (pyusb default)."""
    port = options.get("port", "auto") or "auto"
    if port.startswith("replay:"):
        return "replay"
    return options.get("backend") or DEFAULT_BACKEND


def open_transport(options: Mapping[str, str]) -> Transport:
    """An OPENED transport on the first device matching ``options``.

    Raises DeviceNotFound, AccessDenied or DeviceBusy with a message that says why
    (and, for permissions, the udev rule line that fixes it).
    """
    name = backend_name_for(options)
    if name == "replay":
        return open_replay(options)
    backend = get_backend(name)
    opener = getattr(backend, "open_matching", None)
    if opener is None:
        raise ConfigError(f"backend {name!r} cannot open USB devices", option="backend")
    transport: Transport = opener(options)
    return transport
