# steer4j_add_jni_library(name glue output_dir kernels): compiles one JavaCPP-generated JNI
# source (plus JavaCPP's common jnijavacpp.cpp beside it) with the kernels (may be empty) into
# lib<name>.so in output_dir (a package folder of the classes folder).
# jni.h of the JDK that runs the build (java/pom.xml passes STEER4J_JAVA_HOME = ${java.home});
# FindJNI insists on AWT and libjvm, which a JNI library does not need.
set(STEER4J_JAVA_HOME "$ENV{JAVA_HOME}" CACHE PATH "JDK whose include/jni.h the JNI glue uses")
find_path(STEER4J_JNI_INCLUDE jni.h PATHS "${STEER4J_JAVA_HOME}/include" NO_DEFAULT_PATH)
if(NOT STEER4J_JNI_INCLUDE)
  message(FATAL_ERROR "jni.h not found under STEER4J_JAVA_HOME='${STEER4J_JAVA_HOME}'")
endif()
set(JNI_INCLUDE_DIRS "${STEER4J_JNI_INCLUDE}" "${STEER4J_JNI_INCLUDE}/linux")

function(steer4j_add_jni_library name glue output_dir kernels)
  get_filename_component(_dir "${glue}" DIRECTORY)
  if(NOT EXISTS "${glue}" OR NOT EXISTS "${_dir}/jnijavacpp.cpp")
    message(FATAL_ERROR "No JavaCPP JNI source ${glue}: run the javacpp build goal first")
  endif()
  add_library(${name} SHARED "${glue}" "${_dir}/jnijavacpp.cpp")
  target_include_directories(${name} PRIVATE ${JNI_INCLUDE_DIRS})
  # Generated code: quiet warnings; keep symbols of the kernels the glue calls.
  target_compile_options(${name} PRIVATE -O2 -w -D_GLIBCXX_USE_CXX11_ABI=1)
  if(kernels)
    target_link_libraries(${name} PRIVATE ${kernels})
  endif()
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  # No build rpath into target/: the JVM finds libopenblas.so.0 already loaded by its soname.
  set_target_properties(${name} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY "${output_dir}"
    SKIP_BUILD_RPATH TRUE
    INSTALL_RPATH "$ORIGIN")
endfunction()
