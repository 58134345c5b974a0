import * as $protobuf from "protobufjs";
import Long = require("long");
/** Namespace prepcast. */
export namespace prepcast {

    /** Namespace v1. */
    namespace v1 {

        /** Represents a Push */
        class Push extends $protobuf.rpc.Service {

            /**
             * Constructs a new Push service.
             * @param rpcImpl RPC implementation
             * @param [requestDelimited=false] Whether requests are length-delimited
             * @param [responseDelimited=false] Whether responses are length-delimited
             */
            constructor(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean);

            /**
             * Creates new Push service using the specified rpc implementation.
             * @param rpcImpl RPC implementation
             * @param [requestDelimited=false] Whether requests are length-delimited
             * @param [responseDelimited=false] Whether responses are length-delimited
             * @returns RPC service. Useful where requests and/or responses are streamed.
             */
            public static create(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean): Push;

            /**
             * Calls Session.
             * @param request Frame message or plain object
             * @param callback Node-style callback called with the error, if any, and Frame
             */
            public session(request: prepcast.v1.IFrame, callback: prepcast.v1.Push.SessionCallback): void;

            /**
             * Calls Session.
             * @param request Frame message or plain object
             * @returns Promise
             */
            public session(request: prepcast.v1.IFrame): Promise<prepcast.v1.Frame>;
        }

        namespace Push {

            /**
             * Callback as used by {@link prepcast.v1.Push#session}.
             * @param error Error, if any
             * @param [response] Frame
             */
            type SessionCallback = (error: (Error|null), response?: prepcast.v1.Frame) => void;
        }

        /** Properties of a Frame. */
        interface IFrame {

            /** Frame hello */
            hello?: (prepcast.v1.IHello|null);

            /** Frame publisherAuth */
            publisherAuth?: (prepcast.v1.IPublisherAuth|null);

            /** Frame receiverAuth */
            receiverAuth?: (prepcast.v1.IReceiverAuth|null);

            /** Frame offer */
            offer?: (prepcast.v1.IOffer|null);

            /** Frame offerReply */
            offerReply?: (prepcast.v1.IOfferReply|null);

            /** Frame chunk */
            chunk?: (prepcast.v1.IChunk|null);

            /** Frame payloadEnd */
            payloadEnd?: (prepcast.v1.IPayloadEnd|null);

            /** Frame receipt */
            receipt?: (prepcast.v1.IReceipt|null);

            /** Frame error */
            error?: (prepcast.v1.IError|null);

            /** Frame notice */
            notice?: (prepcast.v1.INotice|null);

            /** Frame ping */
            ping?: (prepcast.v1.IPing|null);

            /** Frame pong */
            pong?: (prepcast.v1.IPong|null);

            /** Frame status */
            status?: (prepcast.v1.IStatus|null);
        }

        /** Represents a Frame. */
        class Frame implements IFrame {

            /**
             * Constructs a new Frame.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IFrame);

            /** Frame hello. */
            public hello?: (prepcast.v1.IHello|null);

            /** Frame publisherAuth. */
            public publisherAuth?: (prepcast.v1.IPublisherAuth|null);

            /** Frame receiverAuth. */
            public receiverAuth?: (prepcast.v1.IReceiverAuth|null);

            /** Frame offer. */
            public offer?: (prepcast.v1.IOffer|null);

            /** Frame offerReply. */
            public offerReply?: (prepcast.v1.IOfferReply|null);

            /** Frame chunk. */
            public chunk?: (prepcast.v1.IChunk|null);

            /** Frame payloadEnd. */
            public payloadEnd?: (prepcast.v1.IPayloadEnd|null);

            /** Frame receipt. */
            public receipt?: (prepcast.v1.IReceipt|null);

            /** Frame error. */
            public error?: (prepcast.v1.IError|null);

            /** Frame notice. */
            public notice?: (prepcast.v1.INotice|null);

            /** Frame ping. */
            public ping?: (prepcast.v1.IPing|null);

            /** Frame pong. */
            public pong?: (prepcast.v1.IPong|null);

            /** Frame status. */
            public status?: (prepcast.v1.IStatus|null);

            /** Frame body. */
            public body?: ("hello"|"publisherAuth"|"receiverAuth"|"offer"|"offerReply"|"chunk"|"payloadEnd"|"receipt"|"error"|"notice"|"ping"|"pong"|"status");

            /**
             * Creates a new Frame instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Frame instance
             */
            public static create(properties?: prepcast.v1.IFrame): prepcast.v1.Frame;

            /**
             * Encodes the specified Frame message. Does not implicitly {@link prepcast.v1.Frame.verify|verify} messages.
             * @param message Frame message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IFrame, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Frame message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Frame
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Frame;

            /**
             * Gets the default type url for Frame
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a CutRef. */
        interface ICutRef {

            /** CutRef process */
            process?: (string|null);

            /** CutRef channel */
            channel?: (string|null);

            /** CutRef sequence */
            sequence?: (Long|null);

            /** CutRef manifestSha256 */
            manifestSha256?: (Uint8Array|null);
        }

        /** Represents a CutRef. */
        class CutRef implements ICutRef {

            /**
             * Constructs a new CutRef.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.ICutRef);

            /** CutRef process. */
            public process: string;

            /** CutRef channel. */
            public channel: string;

            /** CutRef sequence. */
            public sequence: Long;

            /** CutRef manifestSha256. */
            public manifestSha256: Uint8Array;

            /**
             * Creates a new CutRef instance using the specified properties.
             * @param [properties] Properties to set
             * @returns CutRef instance
             */
            public static create(properties?: prepcast.v1.ICutRef): prepcast.v1.CutRef;

            /**
             * Encodes the specified CutRef message. Does not implicitly {@link prepcast.v1.CutRef.verify|verify} messages.
             * @param message CutRef message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.ICutRef, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a CutRef message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns CutRef
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.CutRef;

            /**
             * Gets the default type url for CutRef
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Hello. */
        interface IHello {

            /** Hello protocolVersion */
            protocolVersion?: (number|null);

            /** Hello receiverId */
            receiverId?: (string|null);

            /** Hello identityPublicKey */
            identityPublicKey?: (Uint8Array|null);

            /** Hello nonce */
            nonce?: (Uint8Array|null);

            /** Hello live */
            live?: (prepcast.v1.ICutRef|null);

            /** Hello partial */
            partial?: (prepcast.v1.ICutRef|null);

            /** Hello partialOffset */
            partialOffset?: (Long|null);

            /** Hello freeDiskBytes */
            freeDiskBytes?: (Long|null);

            /** Hello clockUnixMs */
            clockUnixMs?: (Long|null);

            /** Hello agentVersion */
            agentVersion?: (string|null);

            /** Hello keysetVersion */
            keysetVersion?: (Long|null);

            /** Hello acceptedEncodings */
            acceptedEncodings?: (string[]|null);

            /** Hello staged */
            staged?: (prepcast.v1.ICutRef|null);
        }

        /** Represents a Hello. */
        class Hello implements IHello {

            /**
             * Constructs a new Hello.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IHello);

            /** Hello protocolVersion. */
            public protocolVersion: number;

            /** Hello receiverId. */
            public receiverId: string;

            /** Hello identityPublicKey. */
            public identityPublicKey: Uint8Array;

            /** Hello nonce. */
            public nonce: Uint8Array;

            /** Hello live. */
            public live?: (prepcast.v1.ICutRef|null);

            /** Hello partial. */
            public partial?: (prepcast.v1.ICutRef|null);

            /** Hello partialOffset. */
            public partialOffset: Long;

            /** Hello freeDiskBytes. */
            public freeDiskBytes: Long;

            /** Hello clockUnixMs. */
            public clockUnixMs: Long;

            /** Hello agentVersion. */
            public agentVersion: string;

            /** Hello keysetVersion. */
            public keysetVersion: Long;

            /** Hello acceptedEncodings. */
            public acceptedEncodings: string[];

            /** Hello staged. */
            public staged?: (prepcast.v1.ICutRef|null);

            /**
             * Creates a new Hello instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Hello instance
             */
            public static create(properties?: prepcast.v1.IHello): prepcast.v1.Hello;

            /**
             * Encodes the specified Hello message. Does not implicitly {@link prepcast.v1.Hello.verify|verify} messages.
             * @param message Hello message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IHello, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Hello message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Hello
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Hello;

            /**
             * Gets the default type url for Hello
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a PublisherAuth. */
        interface IPublisherAuth {

            /** PublisherAuth publisherId */
            publisherId?: (string|null);

            /** PublisherAuth identityPublicKey */
            identityPublicKey?: (Uint8Array|null);

            /** PublisherAuth nonce */
            nonce?: (Uint8Array|null);

            /** PublisherAuth signature */
            signature?: (Uint8Array|null);

            /** PublisherAuth clockUnixMs */
            clockUnixMs?: (Long|null);
        }

        /** Represents a PublisherAuth. */
        class PublisherAuth implements IPublisherAuth {

            /**
             * Constructs a new PublisherAuth.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IPublisherAuth);

            /** PublisherAuth publisherId. */
            public publisherId: string;

            /** PublisherAuth identityPublicKey. */
            public identityPublicKey: Uint8Array;

            /** PublisherAuth nonce. */
            public nonce: Uint8Array;

            /** PublisherAuth signature. */
            public signature: Uint8Array;

            /** PublisherAuth clockUnixMs. */
            public clockUnixMs: Long;

            /**
             * Creates a new PublisherAuth instance using the specified properties.
             * @param [properties] Properties to set
             * @returns PublisherAuth instance
             */
            public static create(properties?: prepcast.v1.IPublisherAuth): prepcast.v1.PublisherAuth;

            /**
             * Encodes the specified PublisherAuth message. Does not implicitly {@link prepcast.v1.PublisherAuth.verify|verify} messages.
             * @param message PublisherAuth message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IPublisherAuth, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a PublisherAuth message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns PublisherAuth
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.PublisherAuth;

            /**
             * Gets the default type url for PublisherAuth
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a ReceiverAuth. */
        interface IReceiverAuth {

            /** ReceiverAuth signature */
            signature?: (Uint8Array|null);
        }

        /** Represents a ReceiverAuth. */
        class ReceiverAuth implements IReceiverAuth {

            /**
             * Constructs a new ReceiverAuth.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IReceiverAuth);

            /** ReceiverAuth signature. */
            public signature: Uint8Array;

            /**
             * Creates a new ReceiverAuth instance using the specified properties.
             * @param [properties] Properties to set
             * @returns ReceiverAuth instance
             */
            public static create(properties?: prepcast.v1.IReceiverAuth): prepcast.v1.ReceiverAuth;

            /**
             * Encodes the specified ReceiverAuth message. Does not implicitly {@link prepcast.v1.ReceiverAuth.verify|verify} messages.
             * @param message ReceiverAuth message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IReceiverAuth, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ReceiverAuth message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns ReceiverAuth
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.ReceiverAuth;

            /**
             * Gets the default type url for ReceiverAuth
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of an Offer. */
        interface IOffer {

            /** Offer transferId */
            transferId?: (string|null);

            /** Offer keyset */
            keyset?: (Uint8Array|null);

            /** Offer keysetSig */
            keysetSig?: (Uint8Array|null);

            /** Offer manifest */
            manifest?: (Uint8Array|null);

            /** Offer manifestSig */
            manifestSig?: (Uint8Array|null);

            /** Offer encoding */
            encoding?: (string|null);

            /** Offer base */
            base?: (prepcast.v1.ICutRef|null);

            /** Offer payloadSize */
            payloadSize?: (Long|null);

            /** Offer payloadSha256 */
            payloadSha256?: (Uint8Array|null);

            /** Offer chunkSize */
            chunkSize?: (number|null);
        }

        /** Represents an Offer. */
        class Offer implements IOffer {

            /**
             * Constructs a new Offer.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IOffer);

            /** Offer transferId. */
            public transferId: string;

            /** Offer keyset. */
            public keyset: Uint8Array;

            /** Offer keysetSig. */
            public keysetSig: Uint8Array;

            /** Offer manifest. */
            public manifest: Uint8Array;

            /** Offer manifestSig. */
            public manifestSig: Uint8Array;

            /** Offer encoding. */
            public encoding: string;

            /** Offer base. */
            public base?: (prepcast.v1.ICutRef|null);

            /** Offer payloadSize. */
            public payloadSize: Long;

            /** Offer payloadSha256. */
            public payloadSha256: Uint8Array;

            /** Offer chunkSize. */
            public chunkSize: number;

            /**
             * Creates a new Offer instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Offer instance
             */
            public static create(properties?: prepcast.v1.IOffer): prepcast.v1.Offer;

            /**
             * Encodes the specified Offer message. Does not implicitly {@link prepcast.v1.Offer.verify|verify} messages.
             * @param message Offer message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IOffer, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Offer message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Offer
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Offer;

            /**
             * Gets the default type url for Offer
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of an OfferReply. */
        interface IOfferReply {

            /** OfferReply accept */
            accept?: (boolean|null);

            /** OfferReply resumeOffset */
            resumeOffset?: (Long|null);

            /** OfferReply code */
            code?: (string|null);

            /** OfferReply message */
            message?: (string|null);
        }

        /** Represents an OfferReply. */
        class OfferReply implements IOfferReply {

            /**
             * Constructs a new OfferReply.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IOfferReply);

            /** OfferReply accept. */
            public accept: boolean;

            /** OfferReply resumeOffset. */
            public resumeOffset: Long;

            /** OfferReply code. */
            public code: string;

            /** OfferReply message. */
            public message: string;

            /**
             * Creates a new OfferReply instance using the specified properties.
             * @param [properties] Properties to set
             * @returns OfferReply instance
             */
            public static create(properties?: prepcast.v1.IOfferReply): prepcast.v1.OfferReply;

            /**
             * Encodes the specified OfferReply message. Does not implicitly {@link prepcast.v1.OfferReply.verify|verify} messages.
             * @param message OfferReply message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IOfferReply, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an OfferReply message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns OfferReply
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.OfferReply;

            /**
             * Gets the default type url for OfferReply
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Chunk. */
        interface IChunk {

            /** Chunk offset */
            offset?: (Long|null);

            /** Chunk data */
            data?: (Uint8Array|null);

            /** Chunk sha256 */
            sha256?: (Uint8Array|null);
        }

        /** Represents a Chunk. */
        class Chunk implements IChunk {

            /**
             * Constructs a new Chunk.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IChunk);

            /** Chunk offset. */
            public offset: Long;

            /** Chunk data. */
            public data: Uint8Array;

            /** Chunk sha256. */
            public sha256: Uint8Array;

            /**
             * Creates a new Chunk instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Chunk instance
             */
            public static create(properties?: prepcast.v1.IChunk): prepcast.v1.Chunk;

            /**
             * Encodes the specified Chunk message. Does not implicitly {@link prepcast.v1.Chunk.verify|verify} messages.
             * @param message Chunk message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IChunk, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Chunk message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Chunk
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Chunk;

            /**
             * Gets the default type url for Chunk
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a PayloadEnd. */
        interface IPayloadEnd {
        }

        /** Represents a PayloadEnd. */
        class PayloadEnd implements IPayloadEnd {

            /**
             * Constructs a new PayloadEnd.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IPayloadEnd);

            /**
             * Creates a new PayloadEnd instance using the specified properties.
             * @param [properties] Properties to set
             * @returns PayloadEnd instance
             */
            public static create(properties?: prepcast.v1.IPayloadEnd): prepcast.v1.PayloadEnd;

            /**
             * Encodes the specified PayloadEnd message. Does not implicitly {@link prepcast.v1.PayloadEnd.verify|verify} messages.
             * @param message PayloadEnd message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IPayloadEnd, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a PayloadEnd message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns PayloadEnd
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.PayloadEnd;

            /**
             * Gets the default type url for PayloadEnd
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Receipt. */
        interface IReceipt {

            /** Receipt receipt */
            receipt?: (Uint8Array|null);

            /** Receipt signature */
            signature?: (Uint8Array|null);
        }

        /** Represents a Receipt. */
        class Receipt implements IReceipt {

            /**
             * Constructs a new Receipt.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IReceipt);

            /** Receipt receipt. */
            public receipt: Uint8Array;

            /** Receipt signature. */
            public signature: Uint8Array;

            /**
             * Creates a new Receipt instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Receipt instance
             */
            public static create(properties?: prepcast.v1.IReceipt): prepcast.v1.Receipt;

            /**
             * Encodes the specified Receipt message. Does not implicitly {@link prepcast.v1.Receipt.verify|verify} messages.
             * @param message Receipt message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IReceipt, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Receipt message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Receipt
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Receipt;

            /**
             * Gets the default type url for Receipt
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of an Error. */
        interface IError {

            /** Error code */
            code?: (string|null);

            /** Error message */
            message?: (string|null);

            /** Error retryable */
            retryable?: (boolean|null);
        }

        /** Represents an Error. */
        class Error implements IError {

            /**
             * Constructs a new Error.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IError);

            /** Error code. */
            public code: string;

            /** Error message. */
            public message: string;

            /** Error retryable. */
            public retryable: boolean;

            /**
             * Creates a new Error instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Error instance
             */
            public static create(properties?: prepcast.v1.IError): prepcast.v1.Error;

            /**
             * Encodes the specified Error message. Does not implicitly {@link prepcast.v1.Error.verify|verify} messages.
             * @param message Error message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IError, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Error message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Error
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Error;

            /**
             * Gets the default type url for Error
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Notice. */
        interface INotice {

            /** Notice notice */
            notice?: (Uint8Array|null);

            /** Notice signature */
            signature?: (Uint8Array|null);
        }

        /** Represents a Notice. */
        class Notice implements INotice {

            /**
             * Constructs a new Notice.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.INotice);

            /** Notice notice. */
            public notice: Uint8Array;

            /** Notice signature. */
            public signature: Uint8Array;

            /**
             * Creates a new Notice instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Notice instance
             */
            public static create(properties?: prepcast.v1.INotice): prepcast.v1.Notice;

            /**
             * Encodes the specified Notice message. Does not implicitly {@link prepcast.v1.Notice.verify|verify} messages.
             * @param message Notice message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.INotice, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Notice message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Notice
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Notice;

            /**
             * Gets the default type url for Notice
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Ping. */
        interface IPing {

            /** Ping unixMs */
            unixMs?: (Long|null);
        }

        /** Represents a Ping. */
        class Ping implements IPing {

            /**
             * Constructs a new Ping.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IPing);

            /** Ping unixMs. */
            public unixMs: Long;

            /**
             * Creates a new Ping instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Ping instance
             */
            public static create(properties?: prepcast.v1.IPing): prepcast.v1.Ping;

            /**
             * Encodes the specified Ping message. Does not implicitly {@link prepcast.v1.Ping.verify|verify} messages.
             * @param message Ping message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IPing, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Ping message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Ping
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Ping;

            /**
             * Gets the default type url for Ping
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Pong. */
        interface IPong {

            /** Pong unixMs */
            unixMs?: (Long|null);
        }

        /** Represents a Pong. */
        class Pong implements IPong {

            /**
             * Constructs a new Pong.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IPong);

            /** Pong unixMs. */
            public unixMs: Long;

            /**
             * Creates a new Pong instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Pong instance
             */
            public static create(properties?: prepcast.v1.IPong): prepcast.v1.Pong;

            /**
             * Encodes the specified Pong message. Does not implicitly {@link prepcast.v1.Pong.verify|verify} messages.
             * @param message Pong message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IPong, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Pong message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Pong
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Pong;

            /**
             * Gets the default type url for Pong
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Status. */
        interface IStatus {

            /** Status live */
            live?: (prepcast.v1.ICutRef|null);

            /** Status staged */
            staged?: (prepcast.v1.ICutRef|null);

            /** Status clockUnixMs */
            clockUnixMs?: (Long|null);

            /** Status freeDiskBytes */
            freeDiskBytes?: (Long|null);
        }

        /** Represents a Status. */
        class Status implements IStatus {

            /**
             * Constructs a new Status.
             * @param [properties] Properties to set
             */
            constructor(properties?: prepcast.v1.IStatus);

            /** Status live. */
            public live?: (prepcast.v1.ICutRef|null);

            /** Status staged. */
            public staged?: (prepcast.v1.ICutRef|null);

            /** Status clockUnixMs. */
            public clockUnixMs: Long;

            /** Status freeDiskBytes. */
            public freeDiskBytes: Long;

            /**
             * Creates a new Status instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Status instance
             */
            public static create(properties?: prepcast.v1.IStatus): prepcast.v1.Status;

            /**
             * Encodes the specified Status message. Does not implicitly {@link prepcast.v1.Status.verify|verify} messages.
             * @param message Status message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            public static encode(message: prepcast.v1.IStatus, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Status message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns Status
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): prepcast.v1.Status;

            /**
             * Gets the default type url for Status
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }
    }
}
