// A misuse the installed types must reject: 'bogus' is not a run state.
import type { RunState } from 'runwarden';

export const wrong: RunState = 'bogus';
