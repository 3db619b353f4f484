"""The registry of mocked APIs: the only list of them on the mock side."""

from __future__ import annotations

from importlib import import_module

from mock_server.api import MockApi

MODULES = {
    "esper-stages": "mock_server.apis.esper_stages",
    "esper-operations": "mock_server.apis.esper_operations",
    "zenml-pipelines": "mock_server.apis.zenml_pipelines",
    "instabase-flow": "mock_server.apis.instabase_flow",
    "gocd-stages": "mock_server.apis.gocd_stages",
}


def load_api(name: str) -> MockApi:
    """The `API` of one module, imported on demand so a subset starts without the others."""
    api: MockApi = import_module(MODULES[name]).API
    return api
