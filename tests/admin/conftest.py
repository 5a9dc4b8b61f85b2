"""What the administrator's tests share: a database holding the demo program, cached by its nightly tick."""

from __future__ import annotations

import pytest

from mentorflow import Mentorflow
from mentorflow.demo import build_demo
from tests.conftest import FakeClock


@pytest.fixture
def demo(mf: Mentorflow, clock: FakeClock) -> Mentorflow:
    build_demo(mf, clock())
    return mf
