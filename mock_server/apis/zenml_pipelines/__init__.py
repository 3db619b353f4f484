"""Mock of the ZenML 0.98 server's pipelines API (`specs/zenml-pipelines.yaml`): pipelines with tags,
filters, sorting and pages, behind the OAuth2 password login, plus the routes `zenml.client.Client`
reads when it connects (server info, current user, projects, stacks).

Truth: the recorded responses of a real ZenML 0.98.0 server (research/zenml-samples/) first, then its
source (research/seed-apis.md §3), then the seed page (seeds/002). Modules:

- `state`: the data and its lookups (with the server's 404s);
- `query`: filter operators, sorting and the `Page` envelope, as `BaseFilter` does them;
- `render`: the response shapes (hydrated or not);
- `errors`: the four error body shapes and `render_error`;
- `handlers`: one function per operationId, `verify`, and the `record_run` admin action.
"""

from __future__ import annotations

from mock_server.api import Login, MockApi, RecordHook
from mock_server.apis.zenml_pipelines import handlers, record
from mock_server.apis.zenml_pipelines.errors import render_error
from mock_server.apis.zenml_pipelines.state import State

API = MockApi(
    name="zenml-pipelines",
    state=State,
    handlers=handlers,
    render_error=render_error,
    verify=handlers.verify,
    any_token_principal={"sub": "default"},
    credentials_help=(
        "Log in first: POST /api/v1/login with the form username=default&password= (fixture `passwords`), "
        "then send 'Authorization: Bearer <access_token>'. Tokens exist only once issued by login."
    ),
    credentials=Login("default", "", "/api/v1/login"),
    fixture_schemas={
        "users": "UserResponse",
        "projects": "ProjectResponse",
        "stacks": "StackResponse",
        "tags": "TagResponse",
    },
    admin_actions={"record_run": handlers.admin_record_run},
    record=RecordHook(record.collect, record.complete),
)

__all__ = ["API"]
