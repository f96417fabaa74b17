"""HID report descriptors: the item stream, the parser, the model, NUT path naming.

``ReportDescriptor.from_bytes(raw)`` (or :func:`parse_descriptor`) gives the parsed
descriptor; :func:`format_path` / :func:`parse_path` / :func:`find_field` work with
usage paths the way NUT does.
"""

from hidups.descriptor.model import (
    INDEX_BASE,
    Collection,
    CollectionType,
    Field,
    MainItem,
    Report,
    ReportDescriptor,
    ReportType,
    UsagePath,
    is_index_node,
    parse_descriptor,
)
from hidups.descriptor.paths import find_field, format_node, format_path, parse_node, parse_path

__all__ = [
    "INDEX_BASE",
    "Collection",
    "CollectionType",
    "Field",
    "MainItem",
    "Report",
    "ReportDescriptor",
    "ReportType",
    "UsagePath",
    "find_field",
    "format_node",
    "format_path",
    "is_index_node",
    "parse_descriptor",
    "parse_node",
    "parse_path",
]
