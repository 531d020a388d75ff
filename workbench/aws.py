"""boto3 sessions and clients for a Source: profile, assume-role with refresh, endpoint, standard retries,
and AWS errors turned into one plain sentence with the next step.

Nothing here parses log data. botocore is imported lazily so `workbench --help` stays fast.
"""

from __future__ import annotations

import gzip
import os
import threading
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from workbench.config import Source
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    import botocore.session

SESSION_NAME = "log-workbench"
MAX_POOL = 128  # connections kept per host: as many as a sample's fetch threads (opened on demand)


def fast_timestamp(value: Any):
    """botocore's timestamp parser, with a fast path for the two forms S3 sends: ISO 8601 in listings
    (``2026-12-04T20:01:02.000Z``) and RFC 1123 in headers (``Fri, 04 Dec 2026 20:01:02 GMT``). botocore hands
    both to dateutil, ~0.3 ms each: more CPU than the rest of a 1,000-key list page's parsing. Anything else
    (epoch numbers, other zones) goes to botocore's own parser, so results never differ."""
    from botocore.utils import parse_timestamp

    if isinstance(value, str):
        try:
            if value.endswith("Z") and len(value) >= 20 and value[10] == "T":
                return datetime.fromisoformat(value)
            if value.endswith(" GMT"):
                return parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            pass
    return parse_timestamp(value)


class _PlainJSONFileLoader:
    """botocore's model file loader with orjson and without its ``OrderedDict`` hook: plain dicts keep key
    order, and the 1.2 MB endpoints file and the S3 model read at every command's start parse ~3× faster.
    Same files, same search order (``.json``, then ``.json.gz``), same data."""

    _OPENERS = ((".json", open), (".json.gz", gzip.open))

    def exists(self, file_path: str) -> bool:
        return any(os.path.isfile(file_path + ext) for ext, _ in self._OPENERS)

    def load_file(self, file_path: str):
        import orjson

        for ext, opener in self._OPENERS:
            if os.path.isfile(file_path + ext):
                with opener(file_path + ext, "rb") as fp:
                    return orjson.loads(fp.read())
        return None


def _model_loader(default):
    """A botocore `Loader` searching the same paths as `default` (AWS_DATA_PATH, ~/.aws/models, botocore's own)
    that skips one step of building a client: botocore checks a service name against a listing of *every*
    service folder (~400 listdirs, ~2,700 stats: half the CPU of creating an S3 client). Looking in that
    service's own folders answers the same question; an unknown name still gets botocore's own error."""
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader, instance_cache

    class _Loader(Loader):
        @instance_cache
        def load_service_model(self, service_name, type_name, api_version=None):
            try:
                versions = self.list_api_versions(service_name, type_name)  # this service's folders only
            except DataNotFoundError:
                versions = None
            # a botocore whose loader is laid out differently takes its own path
            if not versions or not (hasattr(self, "_extras_processor") and hasattr(self, "_find_extras")):
                return super().load_service_model(service_name, type_name, api_version)
            version = api_version or max(versions)
            model = self.load_data(os.path.join(service_name, version, type_name))
            self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
            return model

    return _Loader(extra_search_paths=list(default.search_paths), include_default_search_paths=False,
                   file_loader=_PlainJSONFileLoader())


class AwsSession:
    """Clients for one source, sharing one (refreshable) credential chain. Thread-safe client creation.

    Built on botocore sessions, not boto3's: boto3 adds nothing the workbench uses (resources, transfer
    managers) and importing it costs ~0.1 CPU-s at every command's start. Credentials resolve through the
    same botocore chain either way (environment, profile, SSO, container/instance roles)."""

    def __init__(self, source: Source, *, max_pool: int = MAX_POOL):
        self.source = source
        self.max_pool = max_pool
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @cached_property
    def base_session(self) -> botocore.session.Session:
        import botocore.exceptions
        import botocore.session

        core = botocore.session.Session()
        try:
            if self.source.credentials_file:
                core.set_config_variable("credentials_file", self.source.credentials_file)
            if self.source.profile:
                core.set_config_variable("profile", self.source.profile)
            if self.source.region:
                core.set_config_variable("region", self.source.region)
            core.get_scoped_config()  # a missing profile fails here, in one sentence, not at the first request
        except botocore.exceptions.ProfileNotFound:
            raise WorkbenchError(
                f"AWS profile {self.source.profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
                "run `aws configure --profile NAME` or fix `profile` in the config."
            ) from None
        core.register_component("data_loader", _model_loader(core.get_component("data_loader")))
        return core

    @cached_property
    def session(self) -> botocore.session.Session:
        """The session every client uses: the base one, or one whose credentials come from assume-role."""
        if not self.source.role_arn:
            return self.base_session
        import botocore.session
        from botocore.credentials import DeferredRefreshableCredentials

        def refresh() -> dict:
            creds = self.assume_role()
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        core = botocore.session.Session()
        core.set_config_variable("region", self.region)
        # the base session's loader: models and endpoint data already parsed for it are not parsed again
        core.register_component("data_loader", self.base_session.get_component("data_loader"))
        core._credentials = DeferredRefreshableCredentials(refresh_using=refresh, method="assume-role")
        return core

    @property
    def region(self) -> str:
        return self.source.region or self.base_session.get_config_variable("region") or "us-east-1"

    def base_client(self, service: str, **kwargs):
        """A new client on the caller's own credentials (not the role's): STS calls about the caller."""
        return self.base_session.create_client(service, endpoint_url=self.source.endpoint, region_name=self.region,
                                               **kwargs)

    def assume_role(self) -> dict:
        """Call STS AssumeRole with the base credentials; returns the Credentials dict."""
        kwargs: dict[str, Any] = {"RoleArn": self.source.role_arn, "RoleSessionName": SESSION_NAME}
        if self.source.external_id:
            kwargs["ExternalId"] = self.source.external_id
        sts = self.base_client("sts", config=self._client_config())
        try:
            return sts.assume_role(**kwargs)["Credentials"]
        except Exception as e:
            raise explain_aws_error(e, f"assume role {self.source.role_arn}") from None

    def _client_config(self):
        from botocore.config import Config as BotoConfig

        return BotoConfig(
            retries={"mode": "standard", "max_attempts": 5},
            max_pool_connections=self.max_pool,
            connect_timeout=5,
            read_timeout=30,
        )

    def client(self, service: str):
        """A cached client for `service` (s3, sqs, sns, sts, kms) at the source's endpoint. botocore clients are
        thread-safe: every fetch thread shares this one (and its connection pool)."""
        with self._lock:
            c = self._clients.get(service)
            if c is None:
                # the parser factory is per botocore session; every client made from it after this parses fast
                self.session.get_component("response_parser_factory").set_parser_defaults(
                    timestamp_parser=fast_timestamp)
                c = self.session.create_client(service, endpoint_url=self.source.endpoint, region_name=self.region,
                                               config=self._client_config())
                self._clients[service] = c
            return c


# Error codes → (what happened, what to do next). `{what}` is the action, e.g. "list s3://bucket/prefix".
_ERRORS: dict[str, str] = {
    "AccessDenied": "Access denied trying to {what}: the credentials or role lack the permission; grant it in IAM.",
    "AccessDeniedException": "Access denied trying to {what}: the credentials or role lack the permission; grant it in IAM.",
    "AllAccessDisabled": "Access denied trying to {what}: all access to this object has been disabled.",
    "NoSuchBucket": "Cannot {what}: the bucket does not exist; check `bucket` in the config.",
    "NoSuchKey": "Cannot {what}: the object no longer exists (deleted after it was listed).",
    "PermanentRedirect": "Cannot {what}: the bucket is in another region; set `region` in the config to the bucket's region.",
    "AuthorizationHeaderMalformed": "Cannot {what}: the request was signed for the wrong region; set `region` in the config.",
    "IllegalLocationConstraintException": "Cannot {what}: wrong region for this bucket; set `region` in the config.",
    "ExpiredToken": "Cannot {what}: the AWS session token has expired; refresh your credentials (e.g. `aws sso login`).",
    "ExpiredTokenException": "Cannot {what}: the AWS session token has expired; refresh your credentials (e.g. `aws sso login`).",
    "InvalidAccessKeyId": "Cannot {what}: AWS does not recognise the access key; check your credentials or profile.",
    "SignatureDoesNotMatch": "Cannot {what}: the secret key does not match the access key; check your credentials.",
    "InvalidClientTokenId": "Cannot {what}: the security token is invalid; check your credentials or profile.",
    "UnrecognizedClientException": "Cannot {what}: the security token is invalid; check your credentials or profile.",
    "KMS.AccessDeniedException": "Cannot {what}: KMS denied decrypting the object; allow kms:Decrypt on its key for the role.",
    "KMS.DisabledException": "Cannot {what}: the object's KMS key is disabled; enable it or ask its owner.",
    "SlowDown": "Cannot {what}: AWS kept throttling the requests after retries; try again with fewer concurrent fetches.",
    "Throttling": "Cannot {what}: AWS kept throttling the requests after retries; try again shortly.",
    "ThrottlingException": "Cannot {what}: AWS kept throttling the requests after retries; try again shortly.",
    "RequestLimitExceeded": "Cannot {what}: AWS kept throttling the requests after retries; try again shortly.",
    "AWS.SimpleQueueService.NonExistentQueue": "Cannot {what}: the queue does not exist; check `queue_url` in the config.",
    "QueueDoesNotExist": "Cannot {what}: the queue does not exist; check `queue_url` in the config.",
    "NotFound": "Cannot {what}: it does not exist; check the name in the config.",
    "NotFoundException": "Cannot {what}: it does not exist; check the name in the config.",
    "InvalidObjectState": "Cannot {what}: the object is archived (Glacier); restore it first.",
    "InternalError": "Cannot {what}: AWS reported an internal error after retries; try again.",
    "ServiceUnavailable": "Cannot {what}: the service is unavailable after retries; try again shortly.",
    "404": "Cannot {what}: not found.",
    "403": "Access denied trying to {what}: the credentials or role lack the permission; grant it in IAM.",
}


def explain_aws_error(exc: BaseException, what: str) -> WorkbenchError:
    """One plain sentence for any boto/botocore exception. Never includes credentials."""
    if isinstance(exc, WorkbenchError):
        return exc
    import botocore.exceptions as be

    if isinstance(exc, be.ClientError):
        err = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
        code = str(err.get("Code") or "")
        message = str(err.get("Message") or "")
        if code in ("AccessDenied", "AccessDeniedException") and "kms" in message.lower():
            code = "KMS.AccessDeniedException"
        template = _ERRORS.get(code)
        if template:
            return WorkbenchError(template.format(what=what), detail=f"{code}: {message}")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc.response, dict) else None
        short = message.splitlines()[0][:200] if message else "no message"
        return WorkbenchError(f"Cannot {what}: AWS said {code or status}: {short}.", detail=str(exc))
    if isinstance(exc, be.NoCredentialsError):
        return WorkbenchError(
            f"Cannot {what}: no AWS credentials found; set a profile in the config, AWS_PROFILE, or run `aws configure`."
        )
    if isinstance(exc, be.TokenRetrievalError | be.SSOTokenLoadError | be.UnauthorizedSSOTokenError):
        return WorkbenchError(f"Cannot {what}: the SSO session has expired; run `aws sso login`.")
    if isinstance(exc, be.ProfileNotFound):
        return WorkbenchError(f"Cannot {what}: the AWS profile is not configured; fix `profile` in the config.")
    if isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError | be.ConnectionClosedError):
        return WorkbenchError(
            f"Cannot {what}: could not reach the AWS endpoint; check the network, `endpoint` and `region` in the config.",
            detail=str(exc),
        )
    if isinstance(exc, be.ReadTimeoutError):
        return WorkbenchError(f"Cannot {what}: AWS did not answer in time; try again.", detail=str(exc))
    if isinstance(exc, be.ParamValidationError):
        return WorkbenchError(f"Cannot {what}: invalid request ({str(exc).splitlines()[-1][:200]}).")
    if isinstance(exc, be.BotoCoreError):
        return WorkbenchError(f"Cannot {what}: {exc.__class__.__name__}.", detail=str(exc))
    return WorkbenchError(f"Cannot {what}: {exc.__class__.__name__}: {str(exc)[:200]}", detail=repr(exc))
