# Build options shared by every steer4j native target.
set(STEER4J_OPENBLAS_ROOT "" CACHE PATH "Unpacked org/bytedeco/openblas folder of the Bytedeco OpenBLAS jar")
set(STEER4J_PLATFORM "linux-x86_64" CACHE STRING "JavaCPP platform name")
set(STEER4J_JNI_GLUE_DIR "" CACHE PATH "Folder of the JavaCPP-generated JNI sources (empty: no JNI library)")
set(STEER4J_OUTPUT_DIR "${CMAKE_BINARY_DIR}/lib" CACHE PATH "Where the JNI and CUDA libraries are written")
set(STEER4J_RUNTIME_OUTPUT_DIR "${CMAKE_BINARY_DIR}/lib" CACHE PATH "Where the JNI library of org.steer4j.runtime is written")
set(STEER4J_CUDA "AUTO" CACHE STRING "Build the CUDA kernels: ON, OFF or AUTO (when nvcc is found)")

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

# The preset's LibTorch uses the C++11 ABI; keep ours the same. -march=x86-64-v3 (AVX2, FMA)
# rather than -march=native keeps the library portable across the machines CI and users run on,
# while OpenBLAS picks its own kernels for the CPU at run time.
set(STEER4J_CXX_FLAGS -O3 -march=x86-64-v3 -fno-math-errno -D_GLIBCXX_USE_CXX11_ABI=1 -Wall -Wextra -Wno-unused-parameter)
