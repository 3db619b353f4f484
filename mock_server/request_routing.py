"""Connexion's routing layer, finding a request's route with one regex instead of a walk of the routes.

Connexion 3.3's `RoutingMiddleware` mounts each API's Starlette router under the API's base path, so a
request goes through two routers, and each tries its routes one by one in Python (ZenML's tenth route costs
ten tries). Here, per method, one regex made of the patterns of the routes that take it, in their order,
names the route Starlette's walk would have chosen, and it is called as Starlette calls it. Anything else
(another method, no route, a slash to redirect, a server with a root path) goes to Connexion's routers
unchanged, so 405s, 404s and redirects stay theirs.
"""

from __future__ import annotations

import re
from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from starlette.routing import Match, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class OneRegex:
    """The first of some routes whose path matches, by one regex of all their patterns in their order."""

    def __init__(self, routes: list[Route]) -> None:
        patterns: list[str] = []
        self.by_group: dict[int, Route] = {}
        group = 1
        for route in routes:
            pattern = NAMED_GROUP.sub("(?:", route.path_regex.pattern)
            self.by_group[group] = route
            group += 1 + re.compile(pattern).groups
            patterns.append(f"({pattern})")
        self.regex = re.compile("|".join(patterns))

    def first(self, path: str) -> Route | None:
        found = self.regex.match(path)
        return None if found is None or found.lastindex is None else self.by_group[found.lastindex]


class FirstMatch:
    """The routes of an API at the root, found by method and then one regex; the routers behind it for the rest.

    Starlette hands a request to the first route whose path matches and that takes its method: among the
    routes that take the method, the first whose path matches.
    """

    def __init__(self, routers: Router, routes: list[Route]) -> None:
        self.routers = routers
        methods = {method for route in routes for method in route.methods or ()}
        self.by_method = {
            method: OneRegex([r for r in routes if r.methods is None or method in r.methods]) for method in methods
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        at_root = scope["type"] == "http" and not scope.get("root_path")  # then the route path is the path
        routes = self.by_method.get(scope["method"]) if at_root else None
        route = routes.first(scope["path"]) if routes is not None else None
        if route is not None:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:  # as `Router.app` hands a request to its route
                scope.setdefault("router", self.routers)
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
        await self.routers(scope, receive, send)


class OneRegexRouting(RoutingMiddleware):
    """`RoutingMiddleware`, with `FirstMatch` in front of its routers when it serves one API at the root."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.routers: Router = self.router
        self.router: Any = self.routers

    def add_api(
        self, specification: Any, base_path: str | None = None, arguments: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().add_api(specification, base_path=base_path, arguments=arguments, **kwargs)
        mounts = self.routers.routes
        inner = mounts[0].app if len(mounts) == 1 and isinstance(mounts[0], Mount) and mounts[0].path == "" else None
        routes = getattr(inner, "routes", None)
        if routes and all(isinstance(route, Route) for route in routes):
            self.router = FirstMatch(self.routers, routes)
        else:
            self.router = self.routers
