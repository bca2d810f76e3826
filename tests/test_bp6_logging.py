"""BP6 details beyond the rule examples: which calls are logging calls."""

from bplint.config import build_config
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def _codes(tmp_path, files, select):
    write_project(tmp_path, files)
    config = build_config({"select": select}, all_rules(), root=tmp_path)
    return sorted((f.path, f.line, f.code) for f in scan([tmp_path], config, cwd=tmp_path).findings)


def test_a_logger_imported_from_another_module_is_followed(tmp_path):
    assert _codes(tmp_path, {
        "app/log.py": "import logging\nlogger = logging.getLogger('app')\n",
        "app/views.py": "from app.log import logger\n\ndef f(xs):\n    for x in xs:\n        logger.debug(f'x={x}')\n",
        "app/other.py": "from loguru import logger\n\ndef f(xs):\n    for x in xs:\n        logger.debug(f'x={x}')\n",
    }, ["BP602"]) == [("app/views.py", 5, "BP602")]


def test_secret_named_objects_and_hashes_are_not_secrets(tmp_path):
    assert _codes(tmp_path, {"a.py": "import logging\nlog = logging.getLogger()\n\n"
                                     "def f(token, password):\n"
                                     "    log.info('serial %s', token.get_serial())\n"
                                     "    print(generate_password_hash(password))\n"
                                     "    log.info('raw %s', password.strip())\n"},
                  ["BP603"]) == [("a.py", 7, "BP603")]


def test_print_in_main_module_functions_and_cli_modules(tmp_path):
    assert _codes(tmp_path, {
        "app/run.py": "def main():\n    print('x')\n\nif __name__ == '__main__':\n    main()\n",
        "app/deploy/x.py": "print('deploying')\n",
        "app/lib.py": "def helper():\n    print('x')\n",
    }, ["BP601"]) == [("app/lib.py", 2, "BP601")]
