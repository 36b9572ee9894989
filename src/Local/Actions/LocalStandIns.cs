using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Approvals.Core.Actions;

namespace Approvals.Local.Actions;

/// <summary>Owner-only files and directories (0600/0700) for anything secret on a laptop.</summary>
internal static class OwnerOnly
{
    public static void Directory(string path)
    {
        System.IO.Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public static void WriteAtomically(string path, string content)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>A local user in the stand-in directory: the password is kept only as a salted hash.</summary>
public sealed record LocalUser(string Id, string? PasswordHash, string? Salt, bool MustChangePassword, int Resets, DateTimeOffset? LastResetAt);

/// <summary>The laptop's stand-in for Entra ID: users in <c>users.json</c> (owner-only). Any user id is known
/// (created on first use) so the quickstart works for <c>--user 123</c>; every reset is counted.</summary>
public sealed class FileUserDirectory(string directory, TimeProvider time, TimeSpan? latency = null) : IUserDirectory
{
    /// <summary>Simulated directory latency (reliability tests widen the "during the action" window with it).</summary>
    public const string LatencySetting = "APPROVALS_LOCAL_DIRECTORY_LATENCY_MS";

    readonly Lock gate = new();
    string PathOf => Path.Combine(directory, "users.json");

    public async Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default)
    {
        if (latency is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        lock (gate)
        {
            var users = Read();
            users.TryGetValue(userId, out var user);
            var salt = RandomNumberGenerator.GetBytes(16);
            var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, 100_000, HashAlgorithmName.SHA256, 32);
            users[userId] = new LocalUser(userId, Convert.ToBase64String(hash), Convert.ToBase64String(salt), true, (user?.Resets ?? 0) + 1, time.GetUtcNow());
            OwnerOnly.Directory(directory);
            OwnerOnly.WriteAtomically(PathOf, JsonSerializer.Serialize(users, LocalJsonContext.Default.DictionaryStringLocalUser));
        }
    }

    public LocalUser? Find(string userId) => Read().TryGetValue(userId, out var user) ? user : null;

    public IReadOnlyDictionary<string, LocalUser> All() => Read();

    /// <summary>True when <paramref name="password"/> is the user's current password.</summary>
    public bool Verify(string userId, string password)
    {
        var user = Find(userId);
        if (user?.PasswordHash is null || user.Salt is null)
        {
            return false;
        }

        var hash = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(user.Salt), 100_000, HashAlgorithmName.SHA256, 32);
        return CryptographicOperations.FixedTimeEquals(hash, Convert.FromBase64String(user.PasswordHash));
    }

    Dictionary<string, LocalUser> Read() =>
        File.Exists(PathOf) ? JsonSerializer.Deserialize(File.ReadAllText(PathOf), LocalJsonContext.Default.DictionaryStringLocalUser) ?? [] : [];
}

/// <summary>The laptop's stand-in for Key Vault: one owner-only file per temporary credential under
/// <c>secrets/</c>. The reference (<c>local-secret://…</c>) is what travels; the value stays in the file.</summary>
public sealed class FileCredentialStore(string directory) : ICredentialStore
{
    public const string ReferencePrefix = "local-secret://";

    public string SecretsDirectory => directory;

    public Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return Task.FromResult<StoredCredential?>(null);
        }

        var stored = JsonSerializer.Deserialize(File.ReadAllText(path), LocalJsonContext.Default.LocalSecret)!;
        return Task.FromResult<StoredCredential?>(new StoredCredential(name, ReferencePrefix + name, stored.Value, stored.ExpiresOn, stored.Applied));
    }

    public Task<string> PutAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        OwnerOnly.Directory(directory);
        OwnerOnly.WriteAtomically(PathOf(name), JsonSerializer.Serialize(new LocalSecret(value, expiresOn, false, new Dictionary<string, string>(tags)), LocalJsonContext.Default.LocalSecret));
        return Task.FromResult(ReferencePrefix + name);
    }

    public Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        var stored = JsonSerializer.Deserialize(File.ReadAllText(path), LocalJsonContext.Default.LocalSecret)!;
        OwnerOnly.WriteAtomically(path, JsonSerializer.Serialize(stored with { Applied = true, Tags = new Dictionary<string, string>(stored.Tags) { ["applied"] = "true" } }, LocalJsonContext.Default.LocalSecret));
        return Task.CompletedTask;
    }

    /// <summary>The file behind a reference, for the CLI to point the user at.</summary>
    public string? FileFor(string reference) =>
        reference.StartsWith(ReferencePrefix, StringComparison.Ordinal) ? PathOf(reference[ReferencePrefix.Length..]) : null;

    string PathOf(string name)
    {
        if (name.Length is 0 or > 127 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException("Secret names are letters, digits and dashes.", nameof(name));
        }

        return Path.Combine(directory, name + ".json");
    }
}

public sealed record LocalSecret(string Value, DateTimeOffset ExpiresOn, bool Applied, Dictionary<string, string> Tags);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, LocalUser>))]
[JsonSerializable(typeof(LocalSecret))]
internal sealed partial class LocalJsonContext : JsonSerializerContext;
