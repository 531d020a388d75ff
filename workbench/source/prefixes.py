"""One level of a bucket's folder tree, with date partitions recognised: what the prefix browser shows.

`list_children(aws, source, prefix)` returns the sub-folders and the objects directly under `prefix`
(one delimiter listing, capped), each folder labelled with its date-partition kind ("day", "year", "month",
"daynum", "hour") when it is one, and its time span, so a viewer can fold hundreds of day folders into one
date range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workbench.aws import explain_aws_error
from workbench.config import Source
from workbench.model import ObjectRef
from workbench.source.partitions import folder_span, segment_kinds

MAX_KEYS = 1000


@dataclass(frozen=True, slots=True)
class Folder:
    prefix: str  # full prefix, ending in "/"
    name: str  # the last segment, without the slash
    kind: str | None  # date-partition kind of the segment, or None
    start: datetime | None = None  # the span the partition covers (for date folders)
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Children:
    prefix: str
    folders: list[Folder] = field(default_factory=list)
    objects: list[ObjectRef] = field(default_factory=list)
    truncated: bool = False  # more than MAX_KEYS entries: the listing was cut

    @property
    def date_folders(self) -> list[Folder]:
        return [f for f in self.folders if f.kind is not None]


def list_children(aws, source: Source, prefix: str = "", *, max_keys: int = MAX_KEYS) -> Children:
    """Sub-folders and objects directly under `prefix` (one or a few delimiter listings, at most `max_keys`)."""
    s3 = aws.client("s3")
    folders: list[Folder] = []
    objects: list[ObjectRef] = []
    truncated = False
    parents = [s for s in prefix.split("/") if s]
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=source.bucket, Prefix=prefix, Delimiter="/"):
            for cp in page.get("CommonPrefixes", []):
                full = cp["Prefix"]
                name = full[len(prefix):].rstrip("/")
                segments = [*parents, name]
                kind = segment_kinds(segments)[-1]
                span = folder_span(segments) if kind else None
                folders.append(Folder(full, name, kind, *(span or (None, None))))
            for item in page.get("Contents", []):
                objects.append(ObjectRef(source.bucket, item["Key"], int(item.get("Size", -1)),
                                         item.get("LastModified"), str(item.get("ETag", "")).strip('"') or None))
            if len(folders) + len(objects) >= max_keys:
                truncated = bool(page.get("IsTruncated"))
                break
    except Exception as e:  # every AWS failure becomes one sentence
        raise explain_aws_error(e, f"list s3://{source.bucket}/{prefix}") from None
    return Children(prefix, folders, objects, truncated)
