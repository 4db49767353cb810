"""TensorBoard shows a run as it happened: the event files, read back."""

import shutil

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from dec.utils import files


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return {
        tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]
    }


def test_every_refresh_is_logged_once_at_its_step(smoke_run):
    metrics = files.read_json(smoke_run / "metrics.json")
    interval, changes = metrics["update_interval"], metrics["label_changes"]
    logged = scalars(smoke_run / "tensorboard" / "refine")
    refresh_steps = [step for step, _ in logged["train/cluster_size_0"]]
    # One refresh at step 0 and then every `interval` steps: no gaps, no repeats.
    assert refresh_steps == [interval * i for i in range(len(refresh_steps))]
    assert len(refresh_steps) == len(changes) + 1 >= 3
    for j in range(5):
        assert [s for s, _ in logged[f"train/cluster_size_{j}"]] == refresh_steps
    # The label change compares two refreshes, so it starts at the second one.
    label_change = logged["train/label_change"]
    assert [s for s, _ in label_change] == refresh_steps[1:]
    assert [v for _, v in label_change] == pytest.approx(changes)
    # Validation label metrics (synthetic data has labels) at every refresh too.
    assert [s for s, _ in logged["val/ari"]] == refresh_steps


@pytest.mark.parametrize("stage", ["pretrain", "refine"])
def test_each_stage_has_a_learning_rate_curve_and_epoch_losses(smoke_run, stage):
    logged = scalars(smoke_run / "tensorboard" / stage)
    assert [v for _, v in logged["lr-Adam"]] == pytest.approx([1e-3, 1e-3])
    loss = "train/recon_loss" if stage == "pretrain" else "train/loss"
    assert len(logged[loss]) == 2


def test_projector_names_every_customer(smoke_run):
    metadata = next((smoke_run / "tensorboard" / "refine").glob("*/customers/metadata.tsv"))
    header, *rows = metadata.read_text().splitlines()
    assert header.split("\t") == ["customer_id", "segment", "known_label"]
    ids = [row.split("\t")[0] for row in rows]
    assert len(ids) == len(set(ids)) > 0 and all(i.startswith("C") for i in ids)


def test_test_split_comparison_is_in_tensorboard_once(smoke_run, tmp_path):
    from dec.evaluation.evaluate import evaluate, write_report

    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    shutil.rmtree(run / "tensorboard" / "evaluation", ignore_errors=True)
    for _ in range(2):  # test.py run twice must not show every result twice
        report = evaluate(run)
        write_report(run, report)
    folder = run / "tensorboard" / "evaluation"
    logged = scalars(folder)
    for method in ("dec", "kmeans", "gmm", "ae_kmeans"):
        assert logged[f"evaluation/ari/{method}"] == [
            (0, pytest.approx(report["methods"][method]["ari"]))
        ]
    events = EventAccumulator(str(folder))
    events.Reload()
    text = events.Tensors("evaluation/comparison/text_summary")
    assert len(text) == 1 and b"KMeans" in text[0].tensor_proto.string_val[0]
