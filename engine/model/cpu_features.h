#pragma once
// What the CPU the engine runs on can do, asked once: the kernels and GEMM paths pick by it.

namespace mote {

// AVX2 + FMA: the GEMV kernel (engine/model/gemv.h).
bool cpu_has_avx2_fma();

// AVX-512 BW/VL/DQ, the ISA libtorch requires before it sends bf16 GEMMs to oneDNN (ATen's
// mkldnn_bf16_device_check): there a bf16 GEMM reads the stored weight and runs near the cores'
// peak (with AVX-512 BF16, e.g. Sapphire Rapids, natively). Without it libtorch's bf16 GEMM is a
// slow reference loop, slower than converting to fp32 for OpenBLAS.
bool cpu_has_fast_bf16_gemm();

}  // namespace mote
