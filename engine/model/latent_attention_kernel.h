#pragma once
// The score / softmax / weighted-sum part of absorbed MLA for packed sequences in fp32: for every
// row of every sequence and every head, softmax(scale * (q_abs . kv_j + q_pe . pe_j)) over the
// positions j the row may see (its sequence's cache up to its own position), times kv_j.
// One loop in C++ instead of a chain of per-sequence einsums, which on small models cost far more
// in dispatch than in arithmetic. Each (row, head) is summed in one fixed order, so a sequence's
// result does not depend on the rows around it (the engine's fp32 batch invariance).
#include <vector>

#include <ATen/ATen.h>

#include "engine/model/attention.h"

namespace mote {

// True when latent_attention() handles these operands: CPU with AVX2 + FMA, fp32 caches.
bool latent_attention_applicable(const at::Tensor& q_abs, const std::vector<AttentionSpan>& spans);

// q_abs: [N, h, rank] float32, q_pe: [N, h, rope] float32 (rotated), both contiguous; each span's
// cache already holds its rows' kv and pe. Returns [N, h, rank] float32.
at::Tensor latent_attention(const at::Tensor& q_abs, const at::Tensor& q_pe,
                            const std::vector<AttentionSpan>& spans, float scale);

}  // namespace mote
