from onewindow.cases.tests.conftest import world  # noqa: F401 - the cases app's data
