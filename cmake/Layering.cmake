# The link graph is the architecture: fail the configure step if a layer
# links something ARCHITECTURE.md forbids it to.
function(plugsup_forbid_link target)
  get_target_property(_libs ${target} LINK_LIBRARIES)
  if(NOT _libs)
    return()
  endif()
  foreach(_bad ${ARGN})
    if(_bad IN_LIST _libs)
      message(FATAL_ERROR "layering: ${target} must not link ${_bad} (see ARCHITECTURE.md)")
    endif()
  endforeach()
endfunction()

plugsup_forbid_link(plugsup_interp     plugsup_proto plugsup_policy plugsup_worker_core plugsup_supervisor)
plugsup_forbid_link(plugsup_proto      plugsup_interp plugsup_policy plugsup_worker_core plugsup_supervisor)
plugsup_forbid_link(plugsup_policy     plugsup_interp plugsup_proto plugsup_worker_core plugsup_supervisor)
plugsup_forbid_link(plugsup_supervisor plugsup_interp plugsup_worker_core)
plugsup_forbid_link(plugsup_worker_core plugsup_supervisor plugsup_policy)
plugsup_forbid_link(plugsup            plugsup_interp plugsup_worker_core plugsup_proto plugsup_policy plugsup_supervisor)
# plugsup-http (http/) is the supervisor's helper for HTTP: proto/ and
# policy/ (it decides each hop by the run's grants), never the interpreter,
# the worker or the supervisor itself.
if(TARGET plugsup-http)
  plugsup_forbid_link(plugsup-http plugsup_interp plugsup_worker_core plugsup_supervisor)
endif()
