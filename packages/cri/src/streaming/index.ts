/** The streaming server's protocol pieces, for tests that check them without a server. */
export { controlFrame, dataFrame, FLAG_FIN, FrameType, readFrames, uint32s } from './spdy/frames.js';
export { decodeHeaders, encodeHeaders, HeaderCompression } from './spdy/headers.js';
export { SPDY3_DICTIONARY } from './spdy/dictionary.js';
export { expectedChannels, readResizes } from './channels.js';
export { RequestCache } from './requests.js';
export { exitStatus, failure, success } from './status.js';
