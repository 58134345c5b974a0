/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars*/
"use strict";

var $protobuf = require("protobufjs/minimal");

// Common aliases
var $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;

// Exported root namespace
var $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

$root.prepcast = (function() {

    /**
     * Namespace prepcast.
     * @exports prepcast
     * @namespace
     */
    var prepcast = {};

    prepcast.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof prepcast
         * @namespace
         */
        var v1 = {};

        v1.Push = (function() {

            /**
             * Constructs a new Push service.
             * @memberof prepcast.v1
             * @classdesc Represents a Push
             * @extends $protobuf.rpc.Service
             * @constructor
             * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
             * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
             * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
             */
            function Push(rpcImpl, requestDelimited, responseDelimited) {
                $protobuf.rpc.Service.call(this, rpcImpl, requestDelimited, responseDelimited);
            }

            (Push.prototype = Object.create($protobuf.rpc.Service.prototype)).constructor = Push;

            /**
             * Creates new Push service using the specified rpc implementation.
             * @function create
             * @memberof prepcast.v1.Push
             * @static
             * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
             * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
             * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
             * @returns {Push} RPC service. Useful where requests and/or responses are streamed.
             */
            Push.create = function create(rpcImpl, requestDelimited, responseDelimited) {
                return new this(rpcImpl, requestDelimited, responseDelimited);
            };

            /**
             * Callback as used by {@link prepcast.v1.Push#session}.
             * @memberof prepcast.v1.Push
             * @typedef SessionCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {prepcast.v1.Frame} [response] Frame
             */

            /**
             * Calls Session.
             * @function session
             * @memberof prepcast.v1.Push
             * @instance
             * @param {prepcast.v1.IFrame} request Frame message or plain object
             * @param {prepcast.v1.Push.SessionCallback} callback Node-style callback called with the error, if any, and Frame
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Push.prototype.session = function session(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, session, $root.prepcast.v1.Frame, $root.prepcast.v1.Frame, request, callback);
            }, "name", { value: "Session" });

            /**
             * Calls Session.
             * @function session
             * @memberof prepcast.v1.Push
             * @instance
             * @param {prepcast.v1.IFrame} request Frame message or plain object
             * @returns {Promise<prepcast.v1.Frame>} Promise
             * @variation 2
             */

            return Push;
        })();

        v1.Frame = (function() {

            /**
             * Properties of a Frame.
             * @memberof prepcast.v1
             * @interface IFrame
             * @property {prepcast.v1.IHello|null} [hello] Frame hello
             * @property {prepcast.v1.IPublisherAuth|null} [publisherAuth] Frame publisherAuth
             * @property {prepcast.v1.IReceiverAuth|null} [receiverAuth] Frame receiverAuth
             * @property {prepcast.v1.IOffer|null} [offer] Frame offer
             * @property {prepcast.v1.IOfferReply|null} [offerReply] Frame offerReply
             * @property {prepcast.v1.IChunk|null} [chunk] Frame chunk
             * @property {prepcast.v1.IPayloadEnd|null} [payloadEnd] Frame payloadEnd
             * @property {prepcast.v1.IReceipt|null} [receipt] Frame receipt
             * @property {prepcast.v1.IError|null} [error] Frame error
             * @property {prepcast.v1.INotice|null} [notice] Frame notice
             * @property {prepcast.v1.IPing|null} [ping] Frame ping
             * @property {prepcast.v1.IPong|null} [pong] Frame pong
             * @property {prepcast.v1.IStatus|null} [status] Frame status
             */

            /**
             * Constructs a new Frame.
             * @memberof prepcast.v1
             * @classdesc Represents a Frame.
             * @implements IFrame
             * @constructor
             * @param {prepcast.v1.IFrame=} [properties] Properties to set
             */
            function Frame(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Frame hello.
             * @member {prepcast.v1.IHello|null|undefined} hello
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.hello = null;

            /**
             * Frame publisherAuth.
             * @member {prepcast.v1.IPublisherAuth|null|undefined} publisherAuth
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.publisherAuth = null;

            /**
             * Frame receiverAuth.
             * @member {prepcast.v1.IReceiverAuth|null|undefined} receiverAuth
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.receiverAuth = null;

            /**
             * Frame offer.
             * @member {prepcast.v1.IOffer|null|undefined} offer
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.offer = null;

            /**
             * Frame offerReply.
             * @member {prepcast.v1.IOfferReply|null|undefined} offerReply
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.offerReply = null;

            /**
             * Frame chunk.
             * @member {prepcast.v1.IChunk|null|undefined} chunk
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.chunk = null;

            /**
             * Frame payloadEnd.
             * @member {prepcast.v1.IPayloadEnd|null|undefined} payloadEnd
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.payloadEnd = null;

            /**
             * Frame receipt.
             * @member {prepcast.v1.IReceipt|null|undefined} receipt
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.receipt = null;

            /**
             * Frame error.
             * @member {prepcast.v1.IError|null|undefined} error
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.error = null;

            /**
             * Frame notice.
             * @member {prepcast.v1.INotice|null|undefined} notice
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.notice = null;

            /**
             * Frame ping.
             * @member {prepcast.v1.IPing|null|undefined} ping
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.ping = null;

            /**
             * Frame pong.
             * @member {prepcast.v1.IPong|null|undefined} pong
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.pong = null;

            /**
             * Frame status.
             * @member {prepcast.v1.IStatus|null|undefined} status
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Frame.prototype.status = null;

            // OneOf field names bound to virtual getters and setters
            var $oneOfFields;

            /**
             * Frame body.
             * @member {"hello"|"publisherAuth"|"receiverAuth"|"offer"|"offerReply"|"chunk"|"payloadEnd"|"receipt"|"error"|"notice"|"ping"|"pong"|"status"|undefined} body
             * @memberof prepcast.v1.Frame
             * @instance
             */
            Object.defineProperty(Frame.prototype, "body", {
                get: $util.oneOfGetter($oneOfFields = ["hello", "publisherAuth", "receiverAuth", "offer", "offerReply", "chunk", "payloadEnd", "receipt", "error", "notice", "ping", "pong", "status"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new Frame instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Frame
             * @static
             * @param {prepcast.v1.IFrame=} [properties] Properties to set
             * @returns {prepcast.v1.Frame} Frame instance
             */
            Frame.create = function create(properties) {
                return new Frame(properties);
            };

            /**
             * Encodes the specified Frame message. Does not implicitly {@link prepcast.v1.Frame.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Frame
             * @static
             * @param {prepcast.v1.IFrame} message Frame message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Frame.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.hello != null && Object.hasOwnProperty.call(message, "hello"))
                    $root.prepcast.v1.Hello.encode(message.hello, writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                if (message.publisherAuth != null && Object.hasOwnProperty.call(message, "publisherAuth"))
                    $root.prepcast.v1.PublisherAuth.encode(message.publisherAuth, writer.uint32(/* id 2, wireType 2 =*/18).fork(), q + 1).ldelim();
                if (message.receiverAuth != null && Object.hasOwnProperty.call(message, "receiverAuth"))
                    $root.prepcast.v1.ReceiverAuth.encode(message.receiverAuth, writer.uint32(/* id 3, wireType 2 =*/26).fork(), q + 1).ldelim();
                if (message.offer != null && Object.hasOwnProperty.call(message, "offer"))
                    $root.prepcast.v1.Offer.encode(message.offer, writer.uint32(/* id 4, wireType 2 =*/34).fork(), q + 1).ldelim();
                if (message.offerReply != null && Object.hasOwnProperty.call(message, "offerReply"))
                    $root.prepcast.v1.OfferReply.encode(message.offerReply, writer.uint32(/* id 5, wireType 2 =*/42).fork(), q + 1).ldelim();
                if (message.chunk != null && Object.hasOwnProperty.call(message, "chunk"))
                    $root.prepcast.v1.Chunk.encode(message.chunk, writer.uint32(/* id 6, wireType 2 =*/50).fork(), q + 1).ldelim();
                if (message.payloadEnd != null && Object.hasOwnProperty.call(message, "payloadEnd"))
                    $root.prepcast.v1.PayloadEnd.encode(message.payloadEnd, writer.uint32(/* id 7, wireType 2 =*/58).fork(), q + 1).ldelim();
                if (message.receipt != null && Object.hasOwnProperty.call(message, "receipt"))
                    $root.prepcast.v1.Receipt.encode(message.receipt, writer.uint32(/* id 8, wireType 2 =*/66).fork(), q + 1).ldelim();
                if (message.error != null && Object.hasOwnProperty.call(message, "error"))
                    $root.prepcast.v1.Error.encode(message.error, writer.uint32(/* id 9, wireType 2 =*/74).fork(), q + 1).ldelim();
                if (message.notice != null && Object.hasOwnProperty.call(message, "notice"))
                    $root.prepcast.v1.Notice.encode(message.notice, writer.uint32(/* id 10, wireType 2 =*/82).fork(), q + 1).ldelim();
                if (message.ping != null && Object.hasOwnProperty.call(message, "ping"))
                    $root.prepcast.v1.Ping.encode(message.ping, writer.uint32(/* id 11, wireType 2 =*/90).fork(), q + 1).ldelim();
                if (message.pong != null && Object.hasOwnProperty.call(message, "pong"))
                    $root.prepcast.v1.Pong.encode(message.pong, writer.uint32(/* id 12, wireType 2 =*/98).fork(), q + 1).ldelim();
                if (message.status != null && Object.hasOwnProperty.call(message, "status"))
                    $root.prepcast.v1.Status.encode(message.status, writer.uint32(/* id 13, wireType 2 =*/106).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a Frame message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Frame
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Frame} Frame
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Frame.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Frame();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.hello = $root.prepcast.v1.Hello.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 2: {
                            message.publisherAuth = $root.prepcast.v1.PublisherAuth.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 3: {
                            message.receiverAuth = $root.prepcast.v1.ReceiverAuth.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 4: {
                            message.offer = $root.prepcast.v1.Offer.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 5: {
                            message.offerReply = $root.prepcast.v1.OfferReply.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 6: {
                            message.chunk = $root.prepcast.v1.Chunk.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 7: {
                            message.payloadEnd = $root.prepcast.v1.PayloadEnd.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 8: {
                            message.receipt = $root.prepcast.v1.Receipt.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 9: {
                            message.error = $root.prepcast.v1.Error.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 10: {
                            message.notice = $root.prepcast.v1.Notice.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 11: {
                            message.ping = $root.prepcast.v1.Ping.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 12: {
                            message.pong = $root.prepcast.v1.Pong.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 13: {
                            message.status = $root.prepcast.v1.Status.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Frame
             * @function getTypeUrl
             * @memberof prepcast.v1.Frame
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Frame.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Frame";
            };

            return Frame;
        })();

        v1.CutRef = (function() {

            /**
             * Properties of a CutRef.
             * @memberof prepcast.v1
             * @interface ICutRef
             * @property {string|null} [process] CutRef process
             * @property {string|null} [channel] CutRef channel
             * @property {Long|null} [sequence] CutRef sequence
             * @property {Uint8Array|null} [manifestSha256] CutRef manifestSha256
             */

            /**
             * Constructs a new CutRef.
             * @memberof prepcast.v1
             * @classdesc Represents a CutRef.
             * @implements ICutRef
             * @constructor
             * @param {prepcast.v1.ICutRef=} [properties] Properties to set
             */
            function CutRef(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * CutRef process.
             * @member {string} process
             * @memberof prepcast.v1.CutRef
             * @instance
             */
            CutRef.prototype.process = "";

            /**
             * CutRef channel.
             * @member {string} channel
             * @memberof prepcast.v1.CutRef
             * @instance
             */
            CutRef.prototype.channel = "";

            /**
             * CutRef sequence.
             * @member {Long} sequence
             * @memberof prepcast.v1.CutRef
             * @instance
             */
            CutRef.prototype.sequence = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * CutRef manifestSha256.
             * @member {Uint8Array} manifestSha256
             * @memberof prepcast.v1.CutRef
             * @instance
             */
            CutRef.prototype.manifestSha256 = $util.newBuffer([]);

            /**
             * Creates a new CutRef instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.CutRef
             * @static
             * @param {prepcast.v1.ICutRef=} [properties] Properties to set
             * @returns {prepcast.v1.CutRef} CutRef instance
             */
            CutRef.create = function create(properties) {
                return new CutRef(properties);
            };

            /**
             * Encodes the specified CutRef message. Does not implicitly {@link prepcast.v1.CutRef.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.CutRef
             * @static
             * @param {prepcast.v1.ICutRef} message CutRef message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CutRef.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.process != null && Object.hasOwnProperty.call(message, "process"))
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.process);
                if (message.channel != null && Object.hasOwnProperty.call(message, "channel"))
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.channel);
                if (message.sequence != null && Object.hasOwnProperty.call(message, "sequence"))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.sequence);
                if (message.manifestSha256 != null && Object.hasOwnProperty.call(message, "manifestSha256"))
                    writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.manifestSha256);
                return writer;
            };

            /**
             * Decodes a CutRef message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.CutRef
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.CutRef} CutRef
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CutRef.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.CutRef();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.process = reader.string();
                            break;
                        }
                    case 2: {
                            message.channel = reader.string();
                            break;
                        }
                    case 3: {
                            message.sequence = reader.uint64();
                            break;
                        }
                    case 4: {
                            message.manifestSha256 = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for CutRef
             * @function getTypeUrl
             * @memberof prepcast.v1.CutRef
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            CutRef.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.CutRef";
            };

            return CutRef;
        })();

        v1.Hello = (function() {

            /**
             * Properties of a Hello.
             * @memberof prepcast.v1
             * @interface IHello
             * @property {number|null} [protocolVersion] Hello protocolVersion
             * @property {string|null} [receiverId] Hello receiverId
             * @property {Uint8Array|null} [identityPublicKey] Hello identityPublicKey
             * @property {Uint8Array|null} [nonce] Hello nonce
             * @property {prepcast.v1.ICutRef|null} [live] Hello live
             * @property {prepcast.v1.ICutRef|null} [partial] Hello partial
             * @property {Long|null} [partialOffset] Hello partialOffset
             * @property {Long|null} [freeDiskBytes] Hello freeDiskBytes
             * @property {Long|null} [clockUnixMs] Hello clockUnixMs
             * @property {string|null} [agentVersion] Hello agentVersion
             * @property {Long|null} [keysetVersion] Hello keysetVersion
             * @property {Array.<string>|null} [acceptedEncodings] Hello acceptedEncodings
             * @property {prepcast.v1.ICutRef|null} [staged] Hello staged
             */

            /**
             * Constructs a new Hello.
             * @memberof prepcast.v1
             * @classdesc Represents a Hello.
             * @implements IHello
             * @constructor
             * @param {prepcast.v1.IHello=} [properties] Properties to set
             */
            function Hello(properties) {
                this.acceptedEncodings = [];
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Hello protocolVersion.
             * @member {number} protocolVersion
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.protocolVersion = 0;

            /**
             * Hello receiverId.
             * @member {string} receiverId
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.receiverId = "";

            /**
             * Hello identityPublicKey.
             * @member {Uint8Array} identityPublicKey
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.identityPublicKey = $util.newBuffer([]);

            /**
             * Hello nonce.
             * @member {Uint8Array} nonce
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.nonce = $util.newBuffer([]);

            /**
             * Hello live.
             * @member {prepcast.v1.ICutRef|null|undefined} live
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.live = null;

            /**
             * Hello partial.
             * @member {prepcast.v1.ICutRef|null|undefined} partial
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.partial = null;

            /**
             * Hello partialOffset.
             * @member {Long} partialOffset
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.partialOffset = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Hello freeDiskBytes.
             * @member {Long} freeDiskBytes
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.freeDiskBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Hello clockUnixMs.
             * @member {Long} clockUnixMs
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.clockUnixMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Hello agentVersion.
             * @member {string} agentVersion
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.agentVersion = "";

            /**
             * Hello keysetVersion.
             * @member {Long} keysetVersion
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.keysetVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Hello acceptedEncodings.
             * @member {Array.<string>} acceptedEncodings
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.acceptedEncodings = $util.emptyArray;

            /**
             * Hello staged.
             * @member {prepcast.v1.ICutRef|null|undefined} staged
             * @memberof prepcast.v1.Hello
             * @instance
             */
            Hello.prototype.staged = null;

            /**
             * Creates a new Hello instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Hello
             * @static
             * @param {prepcast.v1.IHello=} [properties] Properties to set
             * @returns {prepcast.v1.Hello} Hello instance
             */
            Hello.create = function create(properties) {
                return new Hello(properties);
            };

            /**
             * Encodes the specified Hello message. Does not implicitly {@link prepcast.v1.Hello.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Hello
             * @static
             * @param {prepcast.v1.IHello} message Hello message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Hello.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.protocolVersion != null && Object.hasOwnProperty.call(message, "protocolVersion"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.protocolVersion);
                if (message.receiverId != null && Object.hasOwnProperty.call(message, "receiverId"))
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.receiverId);
                if (message.identityPublicKey != null && Object.hasOwnProperty.call(message, "identityPublicKey"))
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.identityPublicKey);
                if (message.nonce != null && Object.hasOwnProperty.call(message, "nonce"))
                    writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.nonce);
                if (message.live != null && Object.hasOwnProperty.call(message, "live"))
                    $root.prepcast.v1.CutRef.encode(message.live, writer.uint32(/* id 5, wireType 2 =*/42).fork(), q + 1).ldelim();
                if (message.partial != null && Object.hasOwnProperty.call(message, "partial"))
                    $root.prepcast.v1.CutRef.encode(message.partial, writer.uint32(/* id 6, wireType 2 =*/50).fork(), q + 1).ldelim();
                if (message.partialOffset != null && Object.hasOwnProperty.call(message, "partialOffset"))
                    writer.uint32(/* id 7, wireType 0 =*/56).uint64(message.partialOffset);
                if (message.freeDiskBytes != null && Object.hasOwnProperty.call(message, "freeDiskBytes"))
                    writer.uint32(/* id 8, wireType 0 =*/64).uint64(message.freeDiskBytes);
                if (message.clockUnixMs != null && Object.hasOwnProperty.call(message, "clockUnixMs"))
                    writer.uint32(/* id 9, wireType 0 =*/72).int64(message.clockUnixMs);
                if (message.agentVersion != null && Object.hasOwnProperty.call(message, "agentVersion"))
                    writer.uint32(/* id 10, wireType 2 =*/82).string(message.agentVersion);
                if (message.keysetVersion != null && Object.hasOwnProperty.call(message, "keysetVersion"))
                    writer.uint32(/* id 11, wireType 0 =*/88).uint64(message.keysetVersion);
                if (message.acceptedEncodings != null && message.acceptedEncodings.length)
                    for (var i = 0; i < message.acceptedEncodings.length; ++i)
                        writer.uint32(/* id 12, wireType 2 =*/98).string(message.acceptedEncodings[i]);
                if (message.staged != null && Object.hasOwnProperty.call(message, "staged"))
                    $root.prepcast.v1.CutRef.encode(message.staged, writer.uint32(/* id 13, wireType 2 =*/106).fork(), q + 1).ldelim();
                return writer;
            };

            /**
             * Decodes a Hello message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Hello
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Hello} Hello
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Hello.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Hello();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.protocolVersion = reader.uint32();
                            break;
                        }
                    case 2: {
                            message.receiverId = reader.string();
                            break;
                        }
                    case 3: {
                            message.identityPublicKey = reader.bytes();
                            break;
                        }
                    case 4: {
                            message.nonce = reader.bytes();
                            break;
                        }
                    case 5: {
                            message.live = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 6: {
                            message.partial = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 7: {
                            message.partialOffset = reader.uint64();
                            break;
                        }
                    case 8: {
                            message.freeDiskBytes = reader.uint64();
                            break;
                        }
                    case 9: {
                            message.clockUnixMs = reader.int64();
                            break;
                        }
                    case 10: {
                            message.agentVersion = reader.string();
                            break;
                        }
                    case 11: {
                            message.keysetVersion = reader.uint64();
                            break;
                        }
                    case 12: {
                            if (!(message.acceptedEncodings && message.acceptedEncodings.length))
                                message.acceptedEncodings = [];
                            message.acceptedEncodings.push(reader.string());
                            break;
                        }
                    case 13: {
                            message.staged = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Hello
             * @function getTypeUrl
             * @memberof prepcast.v1.Hello
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Hello.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Hello";
            };

            return Hello;
        })();

        v1.PublisherAuth = (function() {

            /**
             * Properties of a PublisherAuth.
             * @memberof prepcast.v1
             * @interface IPublisherAuth
             * @property {string|null} [publisherId] PublisherAuth publisherId
             * @property {Uint8Array|null} [identityPublicKey] PublisherAuth identityPublicKey
             * @property {Uint8Array|null} [nonce] PublisherAuth nonce
             * @property {Uint8Array|null} [signature] PublisherAuth signature
             * @property {Long|null} [clockUnixMs] PublisherAuth clockUnixMs
             */

            /**
             * Constructs a new PublisherAuth.
             * @memberof prepcast.v1
             * @classdesc Represents a PublisherAuth.
             * @implements IPublisherAuth
             * @constructor
             * @param {prepcast.v1.IPublisherAuth=} [properties] Properties to set
             */
            function PublisherAuth(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * PublisherAuth publisherId.
             * @member {string} publisherId
             * @memberof prepcast.v1.PublisherAuth
             * @instance
             */
            PublisherAuth.prototype.publisherId = "";

            /**
             * PublisherAuth identityPublicKey.
             * @member {Uint8Array} identityPublicKey
             * @memberof prepcast.v1.PublisherAuth
             * @instance
             */
            PublisherAuth.prototype.identityPublicKey = $util.newBuffer([]);

            /**
             * PublisherAuth nonce.
             * @member {Uint8Array} nonce
             * @memberof prepcast.v1.PublisherAuth
             * @instance
             */
            PublisherAuth.prototype.nonce = $util.newBuffer([]);

            /**
             * PublisherAuth signature.
             * @member {Uint8Array} signature
             * @memberof prepcast.v1.PublisherAuth
             * @instance
             */
            PublisherAuth.prototype.signature = $util.newBuffer([]);

            /**
             * PublisherAuth clockUnixMs.
             * @member {Long} clockUnixMs
             * @memberof prepcast.v1.PublisherAuth
             * @instance
             */
            PublisherAuth.prototype.clockUnixMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Creates a new PublisherAuth instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.PublisherAuth
             * @static
             * @param {prepcast.v1.IPublisherAuth=} [properties] Properties to set
             * @returns {prepcast.v1.PublisherAuth} PublisherAuth instance
             */
            PublisherAuth.create = function create(properties) {
                return new PublisherAuth(properties);
            };

            /**
             * Encodes the specified PublisherAuth message. Does not implicitly {@link prepcast.v1.PublisherAuth.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.PublisherAuth
             * @static
             * @param {prepcast.v1.IPublisherAuth} message PublisherAuth message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            PublisherAuth.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.publisherId != null && Object.hasOwnProperty.call(message, "publisherId"))
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.publisherId);
                if (message.identityPublicKey != null && Object.hasOwnProperty.call(message, "identityPublicKey"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.identityPublicKey);
                if (message.nonce != null && Object.hasOwnProperty.call(message, "nonce"))
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.nonce);
                if (message.signature != null && Object.hasOwnProperty.call(message, "signature"))
                    writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.signature);
                if (message.clockUnixMs != null && Object.hasOwnProperty.call(message, "clockUnixMs"))
                    writer.uint32(/* id 5, wireType 0 =*/40).int64(message.clockUnixMs);
                return writer;
            };

            /**
             * Decodes a PublisherAuth message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.PublisherAuth
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.PublisherAuth} PublisherAuth
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            PublisherAuth.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.PublisherAuth();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.publisherId = reader.string();
                            break;
                        }
                    case 2: {
                            message.identityPublicKey = reader.bytes();
                            break;
                        }
                    case 3: {
                            message.nonce = reader.bytes();
                            break;
                        }
                    case 4: {
                            message.signature = reader.bytes();
                            break;
                        }
                    case 5: {
                            message.clockUnixMs = reader.int64();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for PublisherAuth
             * @function getTypeUrl
             * @memberof prepcast.v1.PublisherAuth
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            PublisherAuth.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.PublisherAuth";
            };

            return PublisherAuth;
        })();

        v1.ReceiverAuth = (function() {

            /**
             * Properties of a ReceiverAuth.
             * @memberof prepcast.v1
             * @interface IReceiverAuth
             * @property {Uint8Array|null} [signature] ReceiverAuth signature
             */

            /**
             * Constructs a new ReceiverAuth.
             * @memberof prepcast.v1
             * @classdesc Represents a ReceiverAuth.
             * @implements IReceiverAuth
             * @constructor
             * @param {prepcast.v1.IReceiverAuth=} [properties] Properties to set
             */
            function ReceiverAuth(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * ReceiverAuth signature.
             * @member {Uint8Array} signature
             * @memberof prepcast.v1.ReceiverAuth
             * @instance
             */
            ReceiverAuth.prototype.signature = $util.newBuffer([]);

            /**
             * Creates a new ReceiverAuth instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.ReceiverAuth
             * @static
             * @param {prepcast.v1.IReceiverAuth=} [properties] Properties to set
             * @returns {prepcast.v1.ReceiverAuth} ReceiverAuth instance
             */
            ReceiverAuth.create = function create(properties) {
                return new ReceiverAuth(properties);
            };

            /**
             * Encodes the specified ReceiverAuth message. Does not implicitly {@link prepcast.v1.ReceiverAuth.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.ReceiverAuth
             * @static
             * @param {prepcast.v1.IReceiverAuth} message ReceiverAuth message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ReceiverAuth.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.signature != null && Object.hasOwnProperty.call(message, "signature"))
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.signature);
                return writer;
            };

            /**
             * Decodes a ReceiverAuth message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.ReceiverAuth
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.ReceiverAuth} ReceiverAuth
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ReceiverAuth.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.ReceiverAuth();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.signature = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for ReceiverAuth
             * @function getTypeUrl
             * @memberof prepcast.v1.ReceiverAuth
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ReceiverAuth.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.ReceiverAuth";
            };

            return ReceiverAuth;
        })();

        v1.Offer = (function() {

            /**
             * Properties of an Offer.
             * @memberof prepcast.v1
             * @interface IOffer
             * @property {string|null} [transferId] Offer transferId
             * @property {Uint8Array|null} [keyset] Offer keyset
             * @property {Uint8Array|null} [keysetSig] Offer keysetSig
             * @property {Uint8Array|null} [manifest] Offer manifest
             * @property {Uint8Array|null} [manifestSig] Offer manifestSig
             * @property {string|null} [encoding] Offer encoding
             * @property {prepcast.v1.ICutRef|null} [base] Offer base
             * @property {Long|null} [payloadSize] Offer payloadSize
             * @property {Uint8Array|null} [payloadSha256] Offer payloadSha256
             * @property {number|null} [chunkSize] Offer chunkSize
             */

            /**
             * Constructs a new Offer.
             * @memberof prepcast.v1
             * @classdesc Represents an Offer.
             * @implements IOffer
             * @constructor
             * @param {prepcast.v1.IOffer=} [properties] Properties to set
             */
            function Offer(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Offer transferId.
             * @member {string} transferId
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.transferId = "";

            /**
             * Offer keyset.
             * @member {Uint8Array} keyset
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.keyset = $util.newBuffer([]);

            /**
             * Offer keysetSig.
             * @member {Uint8Array} keysetSig
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.keysetSig = $util.newBuffer([]);

            /**
             * Offer manifest.
             * @member {Uint8Array} manifest
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.manifest = $util.newBuffer([]);

            /**
             * Offer manifestSig.
             * @member {Uint8Array} manifestSig
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.manifestSig = $util.newBuffer([]);

            /**
             * Offer encoding.
             * @member {string} encoding
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.encoding = "";

            /**
             * Offer base.
             * @member {prepcast.v1.ICutRef|null|undefined} base
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.base = null;

            /**
             * Offer payloadSize.
             * @member {Long} payloadSize
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.payloadSize = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Offer payloadSha256.
             * @member {Uint8Array} payloadSha256
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.payloadSha256 = $util.newBuffer([]);

            /**
             * Offer chunkSize.
             * @member {number} chunkSize
             * @memberof prepcast.v1.Offer
             * @instance
             */
            Offer.prototype.chunkSize = 0;

            /**
             * Creates a new Offer instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Offer
             * @static
             * @param {prepcast.v1.IOffer=} [properties] Properties to set
             * @returns {prepcast.v1.Offer} Offer instance
             */
            Offer.create = function create(properties) {
                return new Offer(properties);
            };

            /**
             * Encodes the specified Offer message. Does not implicitly {@link prepcast.v1.Offer.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Offer
             * @static
             * @param {prepcast.v1.IOffer} message Offer message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Offer.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.transferId != null && Object.hasOwnProperty.call(message, "transferId"))
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.transferId);
                if (message.keyset != null && Object.hasOwnProperty.call(message, "keyset"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.keyset);
                if (message.keysetSig != null && Object.hasOwnProperty.call(message, "keysetSig"))
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.keysetSig);
                if (message.manifest != null && Object.hasOwnProperty.call(message, "manifest"))
                    writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.manifest);
                if (message.manifestSig != null && Object.hasOwnProperty.call(message, "manifestSig"))
                    writer.uint32(/* id 5, wireType 2 =*/42).bytes(message.manifestSig);
                if (message.encoding != null && Object.hasOwnProperty.call(message, "encoding"))
                    writer.uint32(/* id 6, wireType 2 =*/50).string(message.encoding);
                if (message.base != null && Object.hasOwnProperty.call(message, "base"))
                    $root.prepcast.v1.CutRef.encode(message.base, writer.uint32(/* id 7, wireType 2 =*/58).fork(), q + 1).ldelim();
                if (message.payloadSize != null && Object.hasOwnProperty.call(message, "payloadSize"))
                    writer.uint32(/* id 8, wireType 0 =*/64).uint64(message.payloadSize);
                if (message.payloadSha256 != null && Object.hasOwnProperty.call(message, "payloadSha256"))
                    writer.uint32(/* id 9, wireType 2 =*/74).bytes(message.payloadSha256);
                if (message.chunkSize != null && Object.hasOwnProperty.call(message, "chunkSize"))
                    writer.uint32(/* id 10, wireType 0 =*/80).uint32(message.chunkSize);
                return writer;
            };

            /**
             * Decodes an Offer message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Offer
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Offer} Offer
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Offer.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Offer();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.transferId = reader.string();
                            break;
                        }
                    case 2: {
                            message.keyset = reader.bytes();
                            break;
                        }
                    case 3: {
                            message.keysetSig = reader.bytes();
                            break;
                        }
                    case 4: {
                            message.manifest = reader.bytes();
                            break;
                        }
                    case 5: {
                            message.manifestSig = reader.bytes();
                            break;
                        }
                    case 6: {
                            message.encoding = reader.string();
                            break;
                        }
                    case 7: {
                            message.base = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 8: {
                            message.payloadSize = reader.uint64();
                            break;
                        }
                    case 9: {
                            message.payloadSha256 = reader.bytes();
                            break;
                        }
                    case 10: {
                            message.chunkSize = reader.uint32();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Offer
             * @function getTypeUrl
             * @memberof prepcast.v1.Offer
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Offer.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Offer";
            };

            return Offer;
        })();

        v1.OfferReply = (function() {

            /**
             * Properties of an OfferReply.
             * @memberof prepcast.v1
             * @interface IOfferReply
             * @property {boolean|null} [accept] OfferReply accept
             * @property {Long|null} [resumeOffset] OfferReply resumeOffset
             * @property {string|null} [code] OfferReply code
             * @property {string|null} [message] OfferReply message
             */

            /**
             * Constructs a new OfferReply.
             * @memberof prepcast.v1
             * @classdesc Represents an OfferReply.
             * @implements IOfferReply
             * @constructor
             * @param {prepcast.v1.IOfferReply=} [properties] Properties to set
             */
            function OfferReply(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * OfferReply accept.
             * @member {boolean} accept
             * @memberof prepcast.v1.OfferReply
             * @instance
             */
            OfferReply.prototype.accept = false;

            /**
             * OfferReply resumeOffset.
             * @member {Long} resumeOffset
             * @memberof prepcast.v1.OfferReply
             * @instance
             */
            OfferReply.prototype.resumeOffset = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * OfferReply code.
             * @member {string} code
             * @memberof prepcast.v1.OfferReply
             * @instance
             */
            OfferReply.prototype.code = "";

            /**
             * OfferReply message.
             * @member {string} message
             * @memberof prepcast.v1.OfferReply
             * @instance
             */
            OfferReply.prototype.message = "";

            /**
             * Creates a new OfferReply instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.OfferReply
             * @static
             * @param {prepcast.v1.IOfferReply=} [properties] Properties to set
             * @returns {prepcast.v1.OfferReply} OfferReply instance
             */
            OfferReply.create = function create(properties) {
                return new OfferReply(properties);
            };

            /**
             * Encodes the specified OfferReply message. Does not implicitly {@link prepcast.v1.OfferReply.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.OfferReply
             * @static
             * @param {prepcast.v1.IOfferReply} message OfferReply message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            OfferReply.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.accept != null && Object.hasOwnProperty.call(message, "accept"))
                    writer.uint32(/* id 1, wireType 0 =*/8).bool(message.accept);
                if (message.resumeOffset != null && Object.hasOwnProperty.call(message, "resumeOffset"))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.resumeOffset);
                if (message.code != null && Object.hasOwnProperty.call(message, "code"))
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.code);
                if (message.message != null && Object.hasOwnProperty.call(message, "message"))
                    writer.uint32(/* id 4, wireType 2 =*/34).string(message.message);
                return writer;
            };

            /**
             * Decodes an OfferReply message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.OfferReply
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.OfferReply} OfferReply
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            OfferReply.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.OfferReply();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.accept = reader.bool();
                            break;
                        }
                    case 2: {
                            message.resumeOffset = reader.uint64();
                            break;
                        }
                    case 3: {
                            message.code = reader.string();
                            break;
                        }
                    case 4: {
                            message.message = reader.string();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for OfferReply
             * @function getTypeUrl
             * @memberof prepcast.v1.OfferReply
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            OfferReply.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.OfferReply";
            };

            return OfferReply;
        })();

        v1.Chunk = (function() {

            /**
             * Properties of a Chunk.
             * @memberof prepcast.v1
             * @interface IChunk
             * @property {Long|null} [offset] Chunk offset
             * @property {Uint8Array|null} [data] Chunk data
             * @property {Uint8Array|null} [sha256] Chunk sha256
             */

            /**
             * Constructs a new Chunk.
             * @memberof prepcast.v1
             * @classdesc Represents a Chunk.
             * @implements IChunk
             * @constructor
             * @param {prepcast.v1.IChunk=} [properties] Properties to set
             */
            function Chunk(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Chunk offset.
             * @member {Long} offset
             * @memberof prepcast.v1.Chunk
             * @instance
             */
            Chunk.prototype.offset = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Chunk data.
             * @member {Uint8Array} data
             * @memberof prepcast.v1.Chunk
             * @instance
             */
            Chunk.prototype.data = $util.newBuffer([]);

            /**
             * Chunk sha256.
             * @member {Uint8Array} sha256
             * @memberof prepcast.v1.Chunk
             * @instance
             */
            Chunk.prototype.sha256 = $util.newBuffer([]);

            /**
             * Creates a new Chunk instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Chunk
             * @static
             * @param {prepcast.v1.IChunk=} [properties] Properties to set
             * @returns {prepcast.v1.Chunk} Chunk instance
             */
            Chunk.create = function create(properties) {
                return new Chunk(properties);
            };

            /**
             * Encodes the specified Chunk message. Does not implicitly {@link prepcast.v1.Chunk.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Chunk
             * @static
             * @param {prepcast.v1.IChunk} message Chunk message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Chunk.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.offset != null && Object.hasOwnProperty.call(message, "offset"))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.offset);
                if (message.data != null && Object.hasOwnProperty.call(message, "data"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.data);
                if (message.sha256 != null && Object.hasOwnProperty.call(message, "sha256"))
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.sha256);
                return writer;
            };

            /**
             * Decodes a Chunk message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Chunk
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Chunk} Chunk
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Chunk.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Chunk();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.offset = reader.uint64();
                            break;
                        }
                    case 2: {
                            message.data = reader.bytes();
                            break;
                        }
                    case 3: {
                            message.sha256 = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Chunk
             * @function getTypeUrl
             * @memberof prepcast.v1.Chunk
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Chunk.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Chunk";
            };

            return Chunk;
        })();

        v1.PayloadEnd = (function() {

            /**
             * Properties of a PayloadEnd.
             * @memberof prepcast.v1
             * @interface IPayloadEnd
             */

            /**
             * Constructs a new PayloadEnd.
             * @memberof prepcast.v1
             * @classdesc Represents a PayloadEnd.
             * @implements IPayloadEnd
             * @constructor
             * @param {prepcast.v1.IPayloadEnd=} [properties] Properties to set
             */
            function PayloadEnd(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Creates a new PayloadEnd instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.PayloadEnd
             * @static
             * @param {prepcast.v1.IPayloadEnd=} [properties] Properties to set
             * @returns {prepcast.v1.PayloadEnd} PayloadEnd instance
             */
            PayloadEnd.create = function create(properties) {
                return new PayloadEnd(properties);
            };

            /**
             * Encodes the specified PayloadEnd message. Does not implicitly {@link prepcast.v1.PayloadEnd.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.PayloadEnd
             * @static
             * @param {prepcast.v1.IPayloadEnd} message PayloadEnd message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            PayloadEnd.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                return writer;
            };

            /**
             * Decodes a PayloadEnd message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.PayloadEnd
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.PayloadEnd} PayloadEnd
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            PayloadEnd.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.PayloadEnd();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for PayloadEnd
             * @function getTypeUrl
             * @memberof prepcast.v1.PayloadEnd
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            PayloadEnd.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.PayloadEnd";
            };

            return PayloadEnd;
        })();

        v1.Receipt = (function() {

            /**
             * Properties of a Receipt.
             * @memberof prepcast.v1
             * @interface IReceipt
             * @property {Uint8Array|null} [receipt] Receipt receipt
             * @property {Uint8Array|null} [signature] Receipt signature
             */

            /**
             * Constructs a new Receipt.
             * @memberof prepcast.v1
             * @classdesc Represents a Receipt.
             * @implements IReceipt
             * @constructor
             * @param {prepcast.v1.IReceipt=} [properties] Properties to set
             */
            function Receipt(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Receipt receipt.
             * @member {Uint8Array} receipt
             * @memberof prepcast.v1.Receipt
             * @instance
             */
            Receipt.prototype.receipt = $util.newBuffer([]);

            /**
             * Receipt signature.
             * @member {Uint8Array} signature
             * @memberof prepcast.v1.Receipt
             * @instance
             */
            Receipt.prototype.signature = $util.newBuffer([]);

            /**
             * Creates a new Receipt instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Receipt
             * @static
             * @param {prepcast.v1.IReceipt=} [properties] Properties to set
             * @returns {prepcast.v1.Receipt} Receipt instance
             */
            Receipt.create = function create(properties) {
                return new Receipt(properties);
            };

            /**
             * Encodes the specified Receipt message. Does not implicitly {@link prepcast.v1.Receipt.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Receipt
             * @static
             * @param {prepcast.v1.IReceipt} message Receipt message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Receipt.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.receipt != null && Object.hasOwnProperty.call(message, "receipt"))
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.receipt);
                if (message.signature != null && Object.hasOwnProperty.call(message, "signature"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                return writer;
            };

            /**
             * Decodes a Receipt message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Receipt
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Receipt} Receipt
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Receipt.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Receipt();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.receipt = reader.bytes();
                            break;
                        }
                    case 2: {
                            message.signature = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Receipt
             * @function getTypeUrl
             * @memberof prepcast.v1.Receipt
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Receipt.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Receipt";
            };

            return Receipt;
        })();

        v1.Error = (function() {

            /**
             * Properties of an Error.
             * @memberof prepcast.v1
             * @interface IError
             * @property {string|null} [code] Error code
             * @property {string|null} [message] Error message
             * @property {boolean|null} [retryable] Error retryable
             */

            /**
             * Constructs a new Error.
             * @memberof prepcast.v1
             * @classdesc Represents an Error.
             * @implements IError
             * @constructor
             * @param {prepcast.v1.IError=} [properties] Properties to set
             */
            function Error(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Error code.
             * @member {string} code
             * @memberof prepcast.v1.Error
             * @instance
             */
            Error.prototype.code = "";

            /**
             * Error message.
             * @member {string} message
             * @memberof prepcast.v1.Error
             * @instance
             */
            Error.prototype.message = "";

            /**
             * Error retryable.
             * @member {boolean} retryable
             * @memberof prepcast.v1.Error
             * @instance
             */
            Error.prototype.retryable = false;

            /**
             * Creates a new Error instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Error
             * @static
             * @param {prepcast.v1.IError=} [properties] Properties to set
             * @returns {prepcast.v1.Error} Error instance
             */
            Error.create = function create(properties) {
                return new Error(properties);
            };

            /**
             * Encodes the specified Error message. Does not implicitly {@link prepcast.v1.Error.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Error
             * @static
             * @param {prepcast.v1.IError} message Error message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Error.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.code != null && Object.hasOwnProperty.call(message, "code"))
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.code);
                if (message.message != null && Object.hasOwnProperty.call(message, "message"))
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.message);
                if (message.retryable != null && Object.hasOwnProperty.call(message, "retryable"))
                    writer.uint32(/* id 3, wireType 0 =*/24).bool(message.retryable);
                return writer;
            };

            /**
             * Decodes an Error message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Error
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Error} Error
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Error.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Error();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.code = reader.string();
                            break;
                        }
                    case 2: {
                            message.message = reader.string();
                            break;
                        }
                    case 3: {
                            message.retryable = reader.bool();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Error
             * @function getTypeUrl
             * @memberof prepcast.v1.Error
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Error.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Error";
            };

            return Error;
        })();

        v1.Notice = (function() {

            /**
             * Properties of a Notice.
             * @memberof prepcast.v1
             * @interface INotice
             * @property {Uint8Array|null} [notice] Notice notice
             * @property {Uint8Array|null} [signature] Notice signature
             */

            /**
             * Constructs a new Notice.
             * @memberof prepcast.v1
             * @classdesc Represents a Notice.
             * @implements INotice
             * @constructor
             * @param {prepcast.v1.INotice=} [properties] Properties to set
             */
            function Notice(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Notice notice.
             * @member {Uint8Array} notice
             * @memberof prepcast.v1.Notice
             * @instance
             */
            Notice.prototype.notice = $util.newBuffer([]);

            /**
             * Notice signature.
             * @member {Uint8Array} signature
             * @memberof prepcast.v1.Notice
             * @instance
             */
            Notice.prototype.signature = $util.newBuffer([]);

            /**
             * Creates a new Notice instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Notice
             * @static
             * @param {prepcast.v1.INotice=} [properties] Properties to set
             * @returns {prepcast.v1.Notice} Notice instance
             */
            Notice.create = function create(properties) {
                return new Notice(properties);
            };

            /**
             * Encodes the specified Notice message. Does not implicitly {@link prepcast.v1.Notice.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Notice
             * @static
             * @param {prepcast.v1.INotice} message Notice message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Notice.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.notice != null && Object.hasOwnProperty.call(message, "notice"))
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.notice);
                if (message.signature != null && Object.hasOwnProperty.call(message, "signature"))
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                return writer;
            };

            /**
             * Decodes a Notice message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Notice
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Notice} Notice
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Notice.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Notice();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.notice = reader.bytes();
                            break;
                        }
                    case 2: {
                            message.signature = reader.bytes();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Notice
             * @function getTypeUrl
             * @memberof prepcast.v1.Notice
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Notice.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Notice";
            };

            return Notice;
        })();

        v1.Ping = (function() {

            /**
             * Properties of a Ping.
             * @memberof prepcast.v1
             * @interface IPing
             * @property {Long|null} [unixMs] Ping unixMs
             */

            /**
             * Constructs a new Ping.
             * @memberof prepcast.v1
             * @classdesc Represents a Ping.
             * @implements IPing
             * @constructor
             * @param {prepcast.v1.IPing=} [properties] Properties to set
             */
            function Ping(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Ping unixMs.
             * @member {Long} unixMs
             * @memberof prepcast.v1.Ping
             * @instance
             */
            Ping.prototype.unixMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Creates a new Ping instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Ping
             * @static
             * @param {prepcast.v1.IPing=} [properties] Properties to set
             * @returns {prepcast.v1.Ping} Ping instance
             */
            Ping.create = function create(properties) {
                return new Ping(properties);
            };

            /**
             * Encodes the specified Ping message. Does not implicitly {@link prepcast.v1.Ping.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Ping
             * @static
             * @param {prepcast.v1.IPing} message Ping message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Ping.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.unixMs != null && Object.hasOwnProperty.call(message, "unixMs"))
                    writer.uint32(/* id 1, wireType 0 =*/8).int64(message.unixMs);
                return writer;
            };

            /**
             * Decodes a Ping message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Ping
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Ping} Ping
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Ping.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Ping();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.unixMs = reader.int64();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Ping
             * @function getTypeUrl
             * @memberof prepcast.v1.Ping
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Ping.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Ping";
            };

            return Ping;
        })();

        v1.Pong = (function() {

            /**
             * Properties of a Pong.
             * @memberof prepcast.v1
             * @interface IPong
             * @property {Long|null} [unixMs] Pong unixMs
             */

            /**
             * Constructs a new Pong.
             * @memberof prepcast.v1
             * @classdesc Represents a Pong.
             * @implements IPong
             * @constructor
             * @param {prepcast.v1.IPong=} [properties] Properties to set
             */
            function Pong(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Pong unixMs.
             * @member {Long} unixMs
             * @memberof prepcast.v1.Pong
             * @instance
             */
            Pong.prototype.unixMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Creates a new Pong instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Pong
             * @static
             * @param {prepcast.v1.IPong=} [properties] Properties to set
             * @returns {prepcast.v1.Pong} Pong instance
             */
            Pong.create = function create(properties) {
                return new Pong(properties);
            };

            /**
             * Encodes the specified Pong message. Does not implicitly {@link prepcast.v1.Pong.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Pong
             * @static
             * @param {prepcast.v1.IPong} message Pong message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Pong.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.unixMs != null && Object.hasOwnProperty.call(message, "unixMs"))
                    writer.uint32(/* id 1, wireType 0 =*/8).int64(message.unixMs);
                return writer;
            };

            /**
             * Decodes a Pong message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Pong
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Pong} Pong
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Pong.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Pong();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.unixMs = reader.int64();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Pong
             * @function getTypeUrl
             * @memberof prepcast.v1.Pong
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Pong.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Pong";
            };

            return Pong;
        })();

        v1.Status = (function() {

            /**
             * Properties of a Status.
             * @memberof prepcast.v1
             * @interface IStatus
             * @property {prepcast.v1.ICutRef|null} [live] Status live
             * @property {prepcast.v1.ICutRef|null} [staged] Status staged
             * @property {Long|null} [clockUnixMs] Status clockUnixMs
             * @property {Long|null} [freeDiskBytes] Status freeDiskBytes
             */

            /**
             * Constructs a new Status.
             * @memberof prepcast.v1
             * @classdesc Represents a Status.
             * @implements IStatus
             * @constructor
             * @param {prepcast.v1.IStatus=} [properties] Properties to set
             */
            function Status(properties) {
                if (properties)
                    for (var keys = Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            }

            /**
             * Status live.
             * @member {prepcast.v1.ICutRef|null|undefined} live
             * @memberof prepcast.v1.Status
             * @instance
             */
            Status.prototype.live = null;

            /**
             * Status staged.
             * @member {prepcast.v1.ICutRef|null|undefined} staged
             * @memberof prepcast.v1.Status
             * @instance
             */
            Status.prototype.staged = null;

            /**
             * Status clockUnixMs.
             * @member {Long} clockUnixMs
             * @memberof prepcast.v1.Status
             * @instance
             */
            Status.prototype.clockUnixMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Status freeDiskBytes.
             * @member {Long} freeDiskBytes
             * @memberof prepcast.v1.Status
             * @instance
             */
            Status.prototype.freeDiskBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Status instance using the specified properties.
             * @function create
             * @memberof prepcast.v1.Status
             * @static
             * @param {prepcast.v1.IStatus=} [properties] Properties to set
             * @returns {prepcast.v1.Status} Status instance
             */
            Status.create = function create(properties) {
                return new Status(properties);
            };

            /**
             * Encodes the specified Status message. Does not implicitly {@link prepcast.v1.Status.verify|verify} messages.
             * @function encode
             * @memberof prepcast.v1.Status
             * @static
             * @param {prepcast.v1.IStatus} message Status message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Status.encode = function encode(message, writer, q) {
                if (!writer)
                    writer = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (message.live != null && Object.hasOwnProperty.call(message, "live"))
                    $root.prepcast.v1.CutRef.encode(message.live, writer.uint32(/* id 1, wireType 2 =*/10).fork(), q + 1).ldelim();
                if (message.staged != null && Object.hasOwnProperty.call(message, "staged"))
                    $root.prepcast.v1.CutRef.encode(message.staged, writer.uint32(/* id 2, wireType 2 =*/18).fork(), q + 1).ldelim();
                if (message.clockUnixMs != null && Object.hasOwnProperty.call(message, "clockUnixMs"))
                    writer.uint32(/* id 3, wireType 0 =*/24).int64(message.clockUnixMs);
                if (message.freeDiskBytes != null && Object.hasOwnProperty.call(message, "freeDiskBytes"))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.freeDiskBytes);
                return writer;
            };

            /**
             * Decodes a Status message from the specified reader or buffer.
             * @function decode
             * @memberof prepcast.v1.Status
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {prepcast.v1.Status} Status
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Status.decode = function decode(reader, length, error, long) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (long === undefined)
                    long = 0;
                if (long > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var end, message;
                if (length === undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = new $root.prepcast.v1.Status();
                while (reader.pos < end) {
                    var tag = reader.uint32();
                    if (tag === error)
                        break;
                    switch (tag >>> 3) {
                    case 1: {
                            message.live = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 2: {
                            message.staged = $root.prepcast.v1.CutRef.decode(reader, reader.uint32(), undefined, long + 1);
                            break;
                        }
                    case 3: {
                            message.clockUnixMs = reader.int64();
                            break;
                        }
                    case 4: {
                            message.freeDiskBytes = reader.uint64();
                            break;
                        }
                    default:
                        reader.skipType(tag & 7, long);
                        break;
                    }
                }
                if (length !== undefined) {
                    if (reader.pos !== end)
                        throw RangeError("index out of range");
                    reader.len = length;
                }
                return message;
            };

            /**
             * Gets the default type url for Status
             * @function getTypeUrl
             * @memberof prepcast.v1.Status
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Status.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/prepcast.v1.Status";
            };

            return Status;
        })();

        return v1;
    })();

    return prepcast;
})();

module.exports = $root;
