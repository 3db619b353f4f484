"""Mock of the ZenML 0.98 server's pipelines API (`specs/zenml-pipelines.yaml`): pipelines with tags,
filters, sorting and pages, behind the OAuth2 password login, plus the routes `zenml.client.Client`
reads when it connects (server info, current user, projects, stacks).

Truth: the recorded responses of a real ZenML 0.98.0 server (research/zenml-samples/) first, then its
source (research/seed-apis.md §3), then the seed page (seeds/002). Modules:

- `state`: the data and its lookups (with the server's 404s);
- `query`: filter operators, sorting and the `Page` envelope, as `BaseFilter` does them;
- `render`: the response shapes (hydrated or not);
- `errors`: the four error body shapes and `render_error`;
- `handlers`: one function per operationId (listed in `API.handlers`), `verify`, and the `record_run` admin action.
"""

from __future__ import annotations

from mock_server.api import Login, MockApi, RecordHook, handler_set
from mock_server.apis.zenml_pipelines import handlers, record
from mock_server.apis.zenml_pipelines.errors import render_error
from mock_server.apis.zenml_pipelines.state import State

API = MockApi(
    name="zenml-pipelines",
    state=State,
    handlers=handler_set(
        handlers.login,
        handlers.get_server_info,
        handlers.get_current_user,
        handlers.list_projects,
        handlers.get_project,
        handlers.list_stacks,
        handlers.get_stack,
        handlers.list_pipelines,
        handlers.create_pipeline,
        handlers.get_pipeline,
        handlers.update_pipeline,
        handlers.delete_pipeline,
    ),
    render_error=render_error,
    verify=handlers.verify,
    session_cookie=handlers.session_cookie,
    any_token_principal={"sub": "default"},
    credentials=Login("default", "", "/api/v1/login"),
    fixture_schemas={
        "users": "UserResponse",
        "projects": "ProjectResponse",
        "stacks": "StackResponse",
        "tags": "TagResponse",
    },
    admin_actions={"record_run": handlers.admin_record_run},
    trailing_slash="get_catch_all",
    record=RecordHook(record.collect, record.complete),
)

__all__ = ["API"]
