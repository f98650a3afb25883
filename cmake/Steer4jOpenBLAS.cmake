# steer4j::openblas: cblas.h and libopenblas.so.0 from the Bytedeco OpenBLAS jar that the Maven
# build unpacks (STEER4J_OPENBLAS_ROOT). We link the very library LibTorch loads, so one OpenBLAS
# (one thread pool) serves both; at run time JavaCPP has already loaded it by its soname.
set(_ob_dir "${STEER4J_OPENBLAS_ROOT}/${STEER4J_PLATFORM}")
find_path(STEER4J_CBLAS_INCLUDE cblas.h PATHS "${_ob_dir}/include" NO_DEFAULT_PATH)
find_file(STEER4J_OPENBLAS_LIBRARY libopenblas.so.0 PATHS "${_ob_dir}" NO_DEFAULT_PATH)
if(NOT STEER4J_CBLAS_INCLUDE OR NOT STEER4J_OPENBLAS_LIBRARY)
  message(FATAL_ERROR
    "OpenBLAS not found under '${_ob_dir}' (STEER4J_OPENBLAS_ROOT='${STEER4J_OPENBLAS_ROOT}'). "
    "Build through Maven (mvn -pl java process-classes), which unpacks the Bytedeco jar there.")
endif()
add_library(steer4j::openblas SHARED IMPORTED)
set_target_properties(steer4j::openblas PROPERTIES
  IMPORTED_LOCATION "${STEER4J_OPENBLAS_LIBRARY}"
  IMPORTED_NO_SONAME FALSE
  INTERFACE_INCLUDE_DIRECTORIES "${STEER4J_CBLAS_INCLUDE}"
  INTERFACE_LINK_OPTIONS "-Wl,-rpath-link,${_ob_dir}")
# Test executables run outside the JVM: let them find libopenblas (and its libgfortran) there.
set(CMAKE_BUILD_RPATH "${_ob_dir}")
