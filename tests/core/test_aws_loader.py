"""The workbench's botocore model loader (faster start-up) must hand botocore exactly the data its own loader does."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from workbench.aws import AwsSession, _model_loader
from workbench.config import Source


@pytest.mark.parametrize("service", ["s3", "sts", "sqs", "kms"])
@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_models_are_botocores_own_in_the_same_order(service, type_name):
    ours = _model_loader(Loader()).load_service_model(service, type_name)
    assert json.dumps(ours) == json.dumps(Loader().load_service_model(service, type_name))


def test_endpoint_data_and_search_paths_are_unchanged():
    ours = _model_loader(Loader())
    assert ours.search_paths == Loader().search_paths
    assert json.dumps(ours.load_data("endpoints")) == json.dumps(Loader().load_data("endpoints"))


def test_unknown_service_still_gets_botocores_error():
    session = botocore.session.Session()
    session.register_component("data_loader", _model_loader(session.get_component("data_loader")))
    with pytest.raises(UnknownServiceError, match="s4"):
        session.create_client("s4", region_name="us-east-1")


def test_clients_use_it_and_the_role_session_shares_it(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n")
    source = Source(name="s", bucket="b", region="eu-west-1", credentials_file=str(creds),
                    role_arn="arn:aws:iam::123456789012:role/r")
    aws = AwsSession(source)
    loader = aws.base_session.get_component("data_loader")
    assert aws.session.get_component("data_loader") is loader  # models parsed once for both sessions
    assert aws.base_session.get_credentials().access_key == "AKIDEXAMPLE"
    s3 = aws.client("s3")
    assert s3.meta.region_name == "eu-west-1" and s3.meta.service_model.service_name == "s3"
