"""One exception tree for all of hidups.

Every error hidups raises is a :class:`HidupsError`. Where a Python builtin has the
same meaning, the class inherits it too, so callers may catch either
(``except TimeoutError`` catches :class:`TransportTimeout`). Each error says what
went wrong and where: a byte offset, an option name, a file and line.
"""

from __future__ import annotations

import enum


class HidupsError(Exception):
    """Base of every error hidups raises on purpose."""


# --- descriptors -------------------------------------------------------------------


class DescriptorError(HidupsError, ValueError):
    """A HID report descriptor could not be parsed.

    ``offset`` is the byte offset of the item at fault (or of the end of the data).
    """

    def __init__(self, offset: int, problem: str) -> None:
        self.offset = offset
        self.problem = problem
        super().__init__(f"report descriptor byte {offset}: {problem}")


# --- configuration and options ----------------------------------------------------


class ConfigError(HidupsError, ValueError):
    """Bad configuration: ups.conf, a ``-x`` option, a capture or table file.

    ``source`` names the file (or ``"-x"`` / ``"command line"``), ``line`` its line
    number when known, ``option`` the option or key at fault when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        option: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.option = option
        where = ""
        if source is not None:
            where = source if line is None else f"{source}:{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class CaptureError(ConfigError):
    """A capture file (ours, the shared JSON schema, or a NUT debug log) is malformed."""


# --- device access -----------------------------------------------------------------


class TransportError(HidupsError, OSError):
    """Talking to the device failed. Base of every device-access error.

    ``libusb_error`` names libusb's code (``"LIBUSB_ERROR_PIPE"``) when libusb gave one:
    some callers decide on it as NUT does (a stall is cleared, an I/O error reopens).
    """

    libusb_error: str | None = None


class BackendUnavailable(HidupsError, ImportError):
    """The requested transport backend cannot be loaded (missing native library).

    Not a :class:`TransportError`: no device was touched. ``ImportError`` and
    ``OSError`` cannot share a subclass.
    """


class DeviceNotFound(TransportError, LookupError):
    """No device matched (NUT: "No matching HID UPS found")."""


class AccessDenied(TransportError, PermissionError):
    """The device exists but the process may not open it (udev permissions)."""


class DeviceBusy(TransportError, BlockingIOError):
    """Another driver holds the device's interface."""


class Disconnected(TransportError, ConnectionError):
    """The device went away (unplugged, reset, powered off)."""


class TransportTimeout(TransportError, TimeoutError):
    """A transfer did not complete in time."""


class ProtocolError(TransportError):
    """The device answered, but not as HID says it should (stall, short reply, ...)."""


# --- driver ----------------------------------------------------------------------


class CommandStatus(enum.IntEnum):
    """NUT's status codes for INSTCMD and SET (``STAT_INSTCMD_*`` / ``STAT_SET_*``).

    One home for them: the socket server answers with them, the command path returns
    them, and :class:`CommandError` carries one.
    """

    HANDLED = 0
    UNKNOWN = 1
    INVALID = 2
    FAILED = 3
    CONVERSION_FAILED = 4


class CommandError(HidupsError):
    """An instant command or a variable write was refused or could not be carried out.

    ``status`` is NUT's code for the answer (never ``HANDLED``). Refusals are raised
    before anything is sent to the device, so a refused command leaves it untouched.
    """

    def __init__(self, status: CommandStatus, message: str) -> None:
        self.status = status
        super().__init__(message)


class DeviceGone(Disconnected):
    """The device went away in the middle of a walk or a write; the driver reconnects."""


class GiveUp(HidupsError):
    """``reconnect_max_tries`` is used up: the driver exits, as NUT's does."""
