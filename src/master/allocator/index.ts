// The allocator's public face for the master: the allocator itself and the words it speaks. The sorter, filters
// and agent bookkeeping are importable from their own files for tests and benchmarks.

export {
  HierarchicalAllocator,
  type AgentUsage, type AllocatedOffer, type AllocatorOptions, type FrameworkSpec, type FrameworkUsage,
} from './allocator.ts'
export { DEFAULT_REFUSE_SECONDS, MAX_REFUSE_SECONDS, refuseSeconds } from './filters.ts'
export { DEFAULT_MIN_ALLOCATABLE, type MinAllocatableAlternative } from './quantities.ts'
export { NO_QUOTA, type Quota } from './quota.ts'
