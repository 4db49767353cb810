import torch

from dec.data.batches import OrderedBatches, ShuffledChunks


def _epoch(chunks):
    return [batch for chunk in chunks for batch in chunk]


def test_an_epoch_visits_every_row_once_in_chunks_of_steps():
    features = torch.arange(10.0).reshape(10, 1)
    chunks = ShuffledChunks(features, 3, torch.Generator().manual_seed(0), steps_per_chunk=2)
    assert len(chunks) == 2 and chunks.n_batches() == 4  # batches of 3, 3, 3, 1
    assert [len(chunk) for chunk in chunks] == [2, 2]
    batches = _epoch(chunks)
    rows = torch.cat([index for _, index, _ in batches])
    assert sorted(rows.tolist()) == list(range(10))
    for x, index, global_size in batches:
        assert torch.equal(x[:, 0], index.float()) and global_size == len(index)


def test_the_order_is_the_generators_permutation_and_changes_each_epoch():
    chunks = ShuffledChunks(torch.zeros(8, 1), 8, torch.Generator().manual_seed(3))
    first, second = (_epoch(chunks)[0][1] for _ in range(2))
    assert torch.equal(first, torch.randperm(8, generator=torch.Generator().manual_seed(3)))
    assert not torch.equal(first, second)


def test_processes_share_the_global_batch_and_short_tails_are_dropped():
    features = torch.arange(7.0).reshape(7, 1)
    seen = []
    for rank in (0, 1):
        chunks = ShuffledChunks(features, 4, torch.Generator().manual_seed(1), rank, 2)
        assert chunks.n_batches() == 2  # the tail of 3 rows is kept; a tail of 1 would not be
        seen.append(_epoch(chunks))
    assert ShuffledChunks(features[:5], 4, torch.Generator(), 0, 2).n_batches() == 1
    (_, i0, n0), (_, i1, n1) = seen[0][0], seen[1][0]
    assert n0 == n1 == 4 and len(i0) == len(i1) == 2 and not set(i0.tolist()) & set(i1.tolist())


def test_ordered_batches_are_slices_with_their_row_numbers():
    features = torch.arange(5.0).reshape(5, 1)
    batches = list(OrderedBatches(features, 2))
    assert len(OrderedBatches(features, 2)) == 3 == len(batches)
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert [b[2] for b in batches] == [2, 2, 1]
