"""The learnability panel: its families, their tasks, and that every task is generated the
same way twice."""

import numpy as np
import pytest

from ncdvision.ncd.study.panels import FAMILIES, PANELS, TINY, panel_tasks


def test_the_panels_have_seven_families_of_49_and_98_tasks():
    tasks = panel_tasks("quick")
    assert len(tasks) == 49 and tuple(dict.fromkeys(f for f, _ in tasks.values())) == FAMILIES
    full = panel_tasks("full")  # the 49 core tasks, in the same order, then the extended ones
    assert len(full) == 98 and set(tasks) < set(full)
    assert [t for t in full if t in tasks] == list(tasks)
    assert tuple(dict.fromkeys(f for f, _ in full.values())) == FAMILIES
    assert all(full[t][0] == family for t, (family, _) in tasks.items())
    assert list(panel_tasks("tiny")) == list(TINY)
    assert PANELS["quick"].pilot == PANELS["full"].pilot == (25, 50, 100)
    with pytest.raises(ValueError, match="unknown panel 'huge'"):
        panel_tasks("huge")


@pytest.mark.parametrize("task", ["fashion-mnist-10k-3cls-a", "textures-4cls-noise0.6",
                                  "mnist-5k-blur3", "mnist-5k-labels0.4", "mnist-5k-7px"])  # fmt: skip
def test_each_family_generates_its_tasks_deterministically(task):
    family, load = panel_tasks("quick")[task]
    (pool, test), (pool2, test2) = load(), load()
    for a, b in ((pool, pool2), (test, test2)):
        assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert len(pool) == 400 and len(test) == 200 and pool.name == task
    if family == "class-subsets":
        assert set(pool.labels) == {0, 1, 2} and len(pool.class_names) == 3
    if family == "resolution":
        assert pool.images.shape[1:] == (7, 7)
    if family == "label-noise":  # the pool's labels are corrupted, the test labels are not
        clean_pool, clean_test = panel_tasks("quick")["mnist-5k"][1]()
        assert np.array_equal(test.labels, clean_test.labels)
        assert 0.3 < np.mean(pool.labels != clean_pool.labels) < 0.45


def test_an_extended_task_is_generated_deterministically_at_the_full_size():
    family, load = panel_tasks("full")["shapes-6cls"]
    (pool, test), (pool2, test2) = load(), load()
    assert family == "shapes" and "shapes-6cls" not in panel_tasks("quick")
    assert np.array_equal(pool.images, pool2.images) and np.array_equal(test.labels, test2.labels)
    assert len(pool) == 1000 and len(test) == 300 and len(pool.class_names) == 6
