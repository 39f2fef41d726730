// Where the socket server is. Release builds need wss:// and the domain on the console's allow-list.
module.exports = { socketUrl: 'wss://ws.example.com/ws' }
