# Bundles the portal's browser code (web/src) with esbuild into OUTDIR/portal.js
# and OUTDIR/portal.css (issue 17). Fails, never skips, when web/node_modules
# is missing: a portal without its script must not be built silently.
# Usage: cmake -DESBUILD=web/node_modules/.bin/esbuild -DENTRY=web/src/portal.js -DOUTDIR=dir -P web_bundle.cmake
if(NOT EXISTS "${ESBUILD}")
  message(FATAL_ERROR "esbuild not found (${ESBUILD}): run `make web` (npm ci --prefix web) first")
endif()
execute_process(
  COMMAND "${ESBUILD}" "${ENTRY}" --bundle --minify --format=iife --target=es2020 --charset=utf8
          --log-level=warning "--outfile=${OUTDIR}/portal.js"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "esbuild failed to bundle ${ENTRY} (exit ${rc})")
endif()
