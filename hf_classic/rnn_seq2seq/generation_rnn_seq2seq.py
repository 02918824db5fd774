"""Beam search that drops finished sentences from the batch, as OpenNMT-py's translator does.

transformers' beam search keeps decoding every sentence of a batch until the last one ends; with an RNN each
of those rows costs a full step. `shrinking_beam_search` is a decoding function for
`model.generate(..., num_beams=K, custom_generate=shrinking_beam_search)` with OpenNMT-py's rules
(`-length_penalty none`, `-n_best 1`):

- a hypothesis' score is the sum of its tokens' log-probabilities (`</s>` included);
- each step keeps the `K` best continuations over beams × vocabulary; those ending in `</s>` are stored as
  finished and their slots closed;
- a sentence is done when its best continuation of the step ends in `</s>`; its best stored hypothesis is
  returned, and its rows leave the batch (encoder outputs, mask and RNN state alike);
- at `max_new_tokens` the open hypotheses are stored unfinished (other stopping criteria are not applied;
  logits processors are).

With `length_penalty=0` transformers' own beam search ranks hypotheses the same way; on the OpenNMT-py
fixtures both give `onmt_translate`'s translations, this one faster on mixed-length batches.

It returns what `generate()` returns: `(batch, length)` ids starting with the decoder start token, padded
with `pad_token_id`, or, with `return_dict_in_generate=True`, an output with `sequences` and
`sequences_scores`.
"""

from __future__ import annotations

import torch
from transformers.generation.utils import GenerateBeamEncoderDecoderOutput


def shrinking_beam_search(
    model, input_ids, logits_processor=None, stopping_criteria=None, generation_config=None, **model_kwargs
):
    """Beam search over `input_ids (batch * beams, 1)` (generate() has already repeated every input `beams`
    times) with an `RnnSeq2SeqForConditionalGeneration` (its `decode_step`); see the module docstring."""
    beams = generation_config.num_beams
    if generation_config.num_return_sequences not in (None, 1):
        raise ValueError("shrinking_beam_search returns one sequence per input (num_return_sequences=1)")
    if generation_config.length_penalty not in (0, None):
        raise ValueError(
            f"shrinking_beam_search ranks by the plain sum of log-probabilities: pass length_penalty=0 "
            f"(found {generation_config.length_penalty})"
        )
    eos_ids = generation_config.eos_token_id
    eos_ids = set(eos_ids if isinstance(eos_ids, list) else [eos_ids])
    pad = generation_config.pad_token_id
    max_new = generation_config.max_new_tokens or generation_config.max_length - input_ids.shape[1]
    encoder_outputs, mask = model_kwargs["encoder_outputs"], model_kwargs.get("attention_mask")
    batch = input_ids.shape[0] // beams
    device = input_ids.device
    if mask is None:
        mask = torch.ones(encoder_outputs.last_hidden_state.shape[:2], dtype=torch.long, device=device)

    alive = torch.arange(batch, device=device)  # original index of each sentence still decoded
    scores = torch.full((batch, beams), float("-inf"), device=device)
    scores[:, 0] = 0.0
    sequences = input_ids.view(batch, beams, -1)
    cache = None
    best: list[tuple[float, list[int]] | None] = [None] * batch
    for step in range(max_new):
        flat = sequences.reshape(len(alive) * beams, -1)
        logits, cache = model.decode_step(flat[:, -1:], encoder_outputs, mask, cache)
        log_probs = torch.log_softmax(logits[:, -1].float(), dim=-1)
        if logits_processor:
            log_probs = logits_processor(flat, log_probs)
        vocab = log_probs.shape[-1]
        candidates = (scores.reshape(-1, 1) + log_probs).view(len(alive), beams * vocab)
        top_scores, top_ids = candidates.topk(beams, dim=1)
        origin, tokens = top_ids // vocab, top_ids % vocab
        ends = torch.zeros_like(tokens, dtype=torch.bool)
        for eos in eos_ids:
            ends |= tokens == eos
        sequences = torch.cat(
            [sequences.gather(1, origin[..., None].expand(-1, -1, sequences.shape[2])), tokens[..., None]], 2
        )
        last_step = step == max_new - 1
        done = ends[:, 0] | last_step
        for row in torch.nonzero(ends | last_step).tolist():
            sentence, slot = row
            candidate = (top_scores[sentence, slot].item(), sequences[sentence, slot].tolist())
            index = int(alive[sentence])
            if best[index] is None or candidate[0] > best[index][0]:
                best[index] = candidate
        scores = top_scores.masked_fill(ends, float("-inf"))
        keep = torch.nonzero(~done).squeeze(1)
        if len(keep) == 0:
            break
        rows = (keep[:, None] * beams + origin[keep]).reshape(-1)
        cache = model._reorder_cache(cache, rows)
        if len(keep) < len(alive):
            alive, scores, sequences = alive[keep], scores[keep], sequences[keep]
            encoder_rows = (keep[:, None] * beams + torch.arange(beams, device=device)).reshape(-1)
            encoder_outputs = type(encoder_outputs)(
                **{key: value.index_select(0, encoder_rows) for key, value in encoder_outputs.items()}
            )
            mask = mask.index_select(0, encoder_rows)
    length = max(len(tokens) for _, tokens in best)
    output = torch.full((batch, length), pad, dtype=torch.long, device=device)
    for index, (_, tokens) in enumerate(best):
        output[index, : len(tokens)] = torch.tensor(tokens, device=device)
    if not generation_config.return_dict_in_generate:
        return output
    return GenerateBeamEncoderDecoderOutput(
        sequences=output, sequences_scores=torch.tensor([score for score, _ in best], device=device)
    )


__all__ = ["shrinking_beam_search"]
