"""The benchmark's machine line tells two CPUs of one brand name apart."""

from bench.machine import cpu_description, gemm_gflops

ZEN1 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 23
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 avx avx2 fma
processor\t: 1
model name\t: AMD EPYC
"""


def test_cpu_description_names_family_model_and_vector_extensions() -> None:
    assert cpu_description(ZEN1) == "AMD EPYC (family 23, model 1; avx2)"
    newer = ZEN1.replace("model\t\t: 1", "model\t\t: 17").replace("fma", "fma avx512f avx512_vnni")
    assert cpu_description(newer) == "AMD EPYC (family 23, model 17; avx2, avx512f, avx512_vnni)"


def test_gemm_rate_is_measured() -> None:
    assert gemm_gflops(size=64, seconds=0.01) > 0
