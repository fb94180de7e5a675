declare module 'hpack.js' {
  interface Header { name: string; value: string; neverIndex?: boolean; huffman?: boolean }
  interface Decompressor { write(data: Buffer): void; execute(cb?: (err: Error | null) => void): void; read(): Header | null }
  interface Compressor { write(headers: Header[]): void; read(): Buffer | null }
  const hpack: {
    decompressor: { create(o: { table: { size: number } }): Decompressor };
    compressor: { create(o: { table: { size: number } }): Compressor };
  };
  export default hpack;
}
