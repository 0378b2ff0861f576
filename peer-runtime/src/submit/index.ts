/** The submitter's role: sends a DAG to a coordinator and follows its run from another peer. */
export {
  type FailoverOptions,
  type FallbackContext,
  type SubmitRemoteOptions,
  submitRemote,
} from './submit-remote.js';
