// The ABI's exports. A plugin's entry file re-exports them:
//
//   export * from "wasmhose-sdk/assembly/exports";
export {
  abiV1 as wasmhose_abi_v1,
  alloc as wasmhose_v1_alloc,
  init as wasmhose_v1_init,
  transform as wasmhose_v1_transform,
} from "./index";
