"""core is the base: no module in it imports a domain app, so imports run apps -> core only.

Apps offer core what it shows (sitemap sections, home and 404 sections, redirect resolvers)
by registering in their AppConfig.ready(); core never reaches for them."""

import ast
from pathlib import Path

import pytest

import ketamine_association.core

CORE = Path(ketamine_association.core.__file__).parent
PACKAGE = "ketamine_association"
DOMAIN_APPS = ("articles", "directory", "newsletter")


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(CORE.parent.parent).with_suffix("").parts[:-1])


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the source, relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from ketamine_association import articles` names the app in the alias
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            found.append((node.lineno, module))
    return found


def forbidden(module: str) -> bool:
    return any(
        module == f"{PACKAGE}.{app}" or module.startswith(f"{PACKAGE}.{app}.")
        for app in DOMAIN_APPS
    )


def test_core_imports_no_domain_app():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10  # the walk really found core's modules
    offenders = [
        f"{path.relative_to(CORE.parent)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path.read_text(), package_of(path))
        if forbidden(module)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        "import ketamine_association.articles.selectors",
        "from ketamine_association.directory import selectors",
        "from ketamine_association import newsletter",
        "from ..articles import selectors",
        "from .. import articles",
        "def view():\n    from ketamine_association.articles.models import Article",
    ],
)
def test_the_check_sees_absolute_relative_and_local_imports(source):
    modules = [module for _, module in imported_modules(source, "ketamine_association.core")]
    assert any(forbidden(module) for module in modules)


def test_the_check_lets_core_and_django_imports_through():
    source = (
        "from django.conf import settings\nfrom . import sections\nimport ketamine_association.core"
    )
    modules = [module for _, module in imported_modules(source, "ketamine_association.core")]
    assert not any(forbidden(module) for module in modules)
