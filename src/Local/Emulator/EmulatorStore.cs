using Microsoft.Data.Sqlite;

namespace Approvals.Local.Emulator;

/// <summary>Durable rows for the emulator: petitions, resources, claims and webhook deliveries as JSON documents.
/// Without a data directory nothing is written (in memory only).</summary>
public sealed class EmulatorStore(string? dataDirectory) : IDisposable
{
    readonly Lock gate = new();
    SqliteConnection? connection;
    bool disposed;

    public bool IsDurable => dataDirectory is not null;

    /// <summary>Opens (and creates) the database on first use, under the gate; <c>null</c> when in memory.</summary>
    SqliteConnection? Connection()
    {
        if (dataDirectory is null || disposed)
        {
            return null;
        }

        if (connection is not null)
        {
            return connection;
        }

        Actions.OwnerOnly.Directory(dataDirectory);
        var path = Path.Combine(dataDirectory, "indent-emulator.db");
        var opened = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        opened.Open();
        using var command = opened.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS documents (kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, key));
            """;
        command.ExecuteNonQuery();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return connection = opened;
    }

    public void Put(string kind, string key, long seq, string json)
    {
        lock (gate)
        {
            if (Connection() is not { } connection)
            {
                return;
            }

            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO documents (kind, key, seq, json) VALUES ($kind, $key, $seq, $json) ON CONFLICT(kind, key) DO UPDATE SET json = excluded.json";
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$seq", seq);
            command.Parameters.AddWithValue("$json", json);
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<(string Key, long Seq, string Json)> All(string kind)
    {
        lock (gate)
        {
            if (Connection() is not { } connection)
            {
                return [];
            }

            using var command = connection.CreateCommand();
            command.CommandText = "SELECT key, seq, json FROM documents WHERE kind = $kind ORDER BY seq";
            command.Parameters.AddWithValue("$kind", kind);
            using var reader = command.ExecuteReader();
            var rows = new List<(string, long, string)>();
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
            }

            return rows;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            connection?.Dispose();
        }
    }
}
