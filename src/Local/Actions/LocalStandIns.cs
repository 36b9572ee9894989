using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Approvals.Core.Actions;

namespace Approvals.Local.Actions;

/// <summary>Owner-only files and directories (0600/0700) for anything secret on a laptop.</summary>
internal static class OwnerOnly
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Ensured = new(StringComparer.Ordinal);

    public static void Directory(string path)
    {
        if (Ensured.ContainsKey(path) && System.IO.Directory.Exists(path))
        {
            return;
        }

        System.IO.Directory.CreateDirectory(path);
        Ensured[path] = true;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public static void WriteAtomically(string path, string content) => Write(path, content, overwrite: true);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> only if no file is there; false when one was.</summary>
    public static bool CreateAtomically(string path, string content) => Write(path, content, overwrite: false);

    static bool Write(string path, string content, bool overwrite)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        // Atomic (write then rename), not fsynced: a killed process loses nothing that the page cache holds; only a
        // power cut could, which a laptop stand-in accepts (Key Vault and Entra are the durable stores in Azure).
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(content);
        }

        if (overwrite)
        {
            File.Move(temp, path, overwrite: true);
            return true;
        }

        try
        {
            // Without overwrite, .NET moves by hard link then unlink on Unix: the link fails if the target exists, so
            // of two writers exactly one creates the file — create-if-absent without a check-then-act race.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>Markers a crash test waits for: the host drops <c>&lt;data dir&gt;/fault-points/&lt;name&gt;</c> when a workflow
/// reaches a named point and is held there, so a kill is known to land at that point.</summary>
public static class FaultPoints
{
    public const string Directory = "fault-points";

    public static string PathOf(string dataDirectory, string name) => Path.Combine(dataDirectory, Directory, name);

    public static async Task MarkAsync(string path, TimeProvider time, CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
    }
}

/// <summary>Counters of injected failures for the stand-ins.</summary>
internal static class Faults
{
    /// <summary>Spends one injected failure if any is left.</summary>
    public static bool Take(ref int counter)
    {
        int current;
        do
        {
            current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref counter, current - 1, current) != current);
        return true;
    }
}

/// <summary>A local user in the stand-in directory: the password is kept only as a salted hash.</summary>
public sealed record LocalUser(string Id, string? PasswordHash, string? Salt, bool MustChangePassword, int Resets, DateTimeOffset? LastResetAt);

/// <summary>A person in the local directory (the local Microsoft Graph's users), as appended to <c>people.jsonl</c> (the
/// last line for an id wins): <see cref="Email"/> is Graph's <c>mail</c>; the user principal name defaults to it.
/// <see cref="DirectoryRole"/> is an Entra role the person holds (e.g. <c>Global Administrator</c>), which decides whose
/// password the app's own role may reset; <see cref="Federated"/> marks a user whose password Entra does not own.</summary>
public sealed record LocalPerson(
    string Id,
    string? DisplayName,
    string? Email,
    bool Enabled = true,
    string? UserPrincipalName = null,
    IReadOnlyList<string>? ProxyAddresses = null,
    IReadOnlyList<string>? OtherMails = null,
    string? DirectoryRole = null,
    bool Federated = false)
{
    /// <summary>The user principal name: as given, else the mail.</summary>
    public string? Upn => UserPrincipalName ?? Email;
}

/// <summary>One password set, as appended to <c>users.jsonl</c>.</summary>
public sealed record LocalPasswordSet(string Id, string Hash, string Salt, DateTimeOffset At);

/// <summary>Append-only JSON-lines logs (the local directory's and the local groups'), read incrementally.</summary>
internal static class JsonLines
{
    /// <summary>The complete lines appended after <paramref name="offset"/> and the offset just past the last of them. A
    /// line still being appended waits for its newline; a line torn by a crash mid-append is skipped (its change did not
    /// complete). A file shorter than <paramref name="offset"/> was replaced: it is read from its start, and the
    /// returned offset is then below the one given.</summary>
    public static (IReadOnlyList<T> Lines, long Offset) ReadAppended<T>(string path, long offset, JsonTypeInfo<T> type)
        where T : class
    {
        if (!File.Exists(path))
        {
            return ([], 0);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var start = stream.Length < offset ? 0 : offset;
        if (stream.Length == start)
        {
            return ([], start);
        }

        stream.Position = start;
        var appended = new byte[stream.Length - start];
        stream.ReadExactly(appended);
        var complete = Array.LastIndexOf(appended, (byte)'\n') + 1;
        // A file saved by an editor that writes a UTF-8 byte order mark: the mark is not part of the first line.
        var skip = start == 0 && complete >= 3 && appended.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var lines = new List<T>();
        foreach (var line in Encoding.UTF8.GetString(appended, skip, complete - skip).Split('\n'))
        {
            try
            {
                if (line.Length > 0 && JsonSerializer.Deserialize(line, type) is { } value)
                {
                    lines.Add(value);
                }
            }
            catch (JsonException)
            {
                // torn by a crash mid-append
            }
        }

        return (lines, start + complete);
    }

    /// <summary>Appends one line, creating the file owner-only; one writer per process at a time (FileMode.Append seeks
    /// to the end, it is not O_APPEND).</summary>
    public static void Append<T>(string path, T value, JsonTypeInfo<T> type, Lock gate)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, type) + "\n");
        lock (gate)
        {
            OwnerOnly.Directory(Path.GetDirectoryName(path)!);
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
            if (!OperatingSystem.IsWindows() && !File.Exists(path))
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            stream.Write(line);
        }
    }
}

/// <summary>The local Microsoft Graph's store of users (<see cref="Graph.GraphEmulator"/> serves it over HTTP): the people it knows (<c>people.jsonl</c>: seeded with a few, the
/// quickstart's <c>123</c> among them; <c>approvals-local users add</c> appends more, seen at once by a running host)
/// and an append-only, owner-only log of password sets (<c>users.jsonl</c>), so a reset is one small append however
/// many users there are; every reset is counted.
/// Hashes are salted PBKDF2-SHA256 at 10,000 iterations: the temporary password itself sits in the
/// owner-only secret store next to it (as it does in Key Vault), so a slower hash would only slow the action.</summary>
public sealed class FileUserDirectory(string directory, TimeProvider time, TimeSpan? latency = null, TimeSpan? latencyAfterWrite = null)
{
    /// <summary>A fault point for crash tests: after the write is durable, the directory drops a marker
    /// (<c>fault-points/after-directory-write.&lt;user&gt;</c>) and waits this long, so a test can kill the host exactly
    /// between the directory write and the credential's bookkeeping.</summary>
    public const string LatencyAfterWriteSetting = "APPROVALS_LOCAL_DIRECTORY_LATENCY_AFTER_WRITE_MS";

    /// <summary>The marker file of <see cref="LatencyAfterWriteSetting"/> for a user.</summary>
    public static string AfterWriteMarker(string dataDirectory, string userId) => FaultPoints.PathOf(dataDirectory, "after-directory-write." + userId);

    /// <summary>The marker file of <see cref="LatencySetting"/> for a user: dropped before the delay that precedes the write.</summary>
    public static string BeforeWriteMarker(string dataDirectory, string userId) => FaultPoints.PathOf(dataDirectory, "before-directory-write." + userId);

    /// <summary>Simulated directory latency (reliability tests widen the "during the action" window with it).</summary>
    public const string LatencySetting = "APPROVALS_LOCAL_DIRECTORY_LATENCY_MS";
    public const string FileName = "users.jsonl";
    // Lines written before the one-pass hash: PBKDF2-SHA256, 10,000 iterations (still verified).
    const int LegacyIterations = 10_000;
    const string HmacPrefix = "hmac-sha256:";

    readonly Lock gate = new();
    int failNextWrites;
    string PathOf => Path.Combine(directory, FileName);

    /// <summary>Fault injection for tests, like the emulator's faults: the next <paramref name="count"/> password sets
    /// fail before writing (a directory outage).</summary>
    public void FailNextWrites(int count) => Interlocked.Exchange(ref failNextWrites, count);

    /// <summary>Injected write failures not yet spent.</summary>
    public int PendingWriteFailures => Volatile.Read(ref failNextWrites);

    public async Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default)
    {
        if (latency is { } delay && delay > TimeSpan.Zero)
        {
            await FaultPoints.MarkAsync(BeforeWriteMarker(directory, userId), time, cancellationToken);
            await Task.Delay(delay, time, cancellationToken);
        }

        if (Faults.Take(ref failNextWrites))
        {
            throw new HttpRequestException("injected directory outage");
        }

        // The only passwords set here are the workflow's own temporary ones (20 characters from 70: about 122 random bits),
        // which no guessing can reach, so a salted one-pass HMAC is enough; key stretching (PBKDF2) protects passwords
        // people choose, and cost 17 % of the host's CPU at 50 approvals in flight (scripts/profile-host.sh).
        var salt = RandomNumberGenerator.GetBytes(16);
        JsonLines.Append(PathOf, new LocalPasswordSet(userId, HmacPrefix + Convert.ToBase64String(Hmac(salt, password)), Convert.ToBase64String(salt), time.GetUtcNow()), LocalLineJsonContext.Default.LocalPasswordSet, gate);

        if (latencyAfterWrite is { } pause && pause > TimeSpan.Zero)
        {
            await FaultPoints.MarkAsync(AfterWriteMarker(directory, userId), time, cancellationToken);
            await Task.Delay(pause, time, cancellationToken);
        }
    }

    public const string PeopleFileName = "people.jsonl";

    /// <summary>Who a fresh data directory knows: the quickstart's user, colleagues (one whose mail differs from her user
    /// principal name), a disabled account, a Global Administrator and a federated user.</summary>
    public static readonly IReadOnlyList<LocalPerson> SeedPeople =
    [
        new("123", "Sam Quickstart", "sam@local"),
        new("alice", "Alice Jones", "alice@local"),
        new("bob", "Bob Smith", "bob@local"),
        new("dana", "Dana Left", "dana@local", Enabled: false),
        new("ada", "Ada Admin", "ada@local", DirectoryRole: "Global Administrator"),
        new("fred", "Fred Federated", "fred@local", Federated: true),
        // Signs in as carol@local, but her mailbox is carol.chen@local, with an alias and a private address: the names
        // four eyes must all see as one person.
        // The inbox's default approver: a colleague of the directory like any other.
        new("approver", "Inbox Approver", "approver@inbox.local"),
        new("carol", "Carol Chen", "carol.chen@local", UserPrincipalName: "carol@local", ProxyAddresses: ["SMTP:carol.chen@local", "smtp:cc@local"], OtherMails: ["carol.home@example.com"]),
    ];

    /// <summary>Writes the seed people unless the directory already has a people file.</summary>
    public static void Seed(string dataDirectory)
    {
        OwnerOnly.Directory(dataDirectory);
        var path = Path.Combine(dataDirectory, PeopleFileName);
        if (!File.Exists(path))
        {
            OwnerOnly.CreateAtomically(path, string.Concat(SeedPeople.Select(p => JsonSerializer.Serialize(p, LocalLineJsonContext.Default.LocalPerson) + "\n")));
            return;
        }

        // A data directory from an earlier version gets the seed people it lacks (never replacing anyone it has).
        var known = ReadPeople(dataDirectory);
        if (SeedPeople.Where(p => !known.ContainsKey(p.Id)).ToList() is { Count: > 0 } missing)
        {
            Append(dataDirectory, missing);
        }
    }

    /// <summary>Adds (or replaces) people: one appended line each, seen by a running host on its next lookup.</summary>
    public static void AddPeople(string dataDirectory, IEnumerable<LocalPerson> people)
    {
        ArgumentNullException.ThrowIfNull(people);
        Seed(dataDirectory);
        Append(dataDirectory, people);
    }

    static void Append(string dataDirectory, IEnumerable<LocalPerson> people)
    {
        var text = string.Concat(people.Select(p => JsonSerializer.Serialize(p, LocalLineJsonContext.Default.LocalPerson) + "\n"));
        lock (PeopleGate) // appenders in one process must not interleave (FileMode.Append seeks to the end, it is not O_APPEND)
        {
            using var stream = new FileStream(Path.Combine(dataDirectory, PeopleFileName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    static readonly Lock PeopleGate = new();

    /// <summary>Adds the person who signs in as <paramref name="email"/> (id: the part before the '@', else the whole
    /// name) unless the directory knows them: the laptop's own user, who the CLI asks as by default.</summary>
    public static void EnsurePerson(string dataDirectory, string email)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var people = ReadPeople(dataDirectory);
        if (people.Values.Any(p => string.Equals(p.Upn, email, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Email, email, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        var local = email.Split('@')[0];
        var id = local.Length > 0 && !people.ContainsKey(local) ? local : email;
        AddPeople(dataDirectory, [new LocalPerson(id, local, email)]);
    }

    /// <summary>Everyone the directory knows, by id.</summary>
    public static IReadOnlyDictionary<string, LocalPerson> ReadPeople(string dataDirectory)
    {
        var people = new Dictionary<string, LocalPerson>(StringComparer.Ordinal);
        var path = Path.Combine(dataDirectory, PeopleFileName);
        if (!File.Exists(path))
        {
            return people;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (line.Length > 0 && JsonSerializer.Deserialize(line, LocalLineJsonContext.Default.LocalPerson) is { Id.Length: > 0 } person)
                {
                    people[person.Id] = person;
                }
            }
            catch (JsonException)
            {
                // a line torn by a crash mid-append: that add did not happen
            }
        }

        return people;
    }

    /// <summary>The people file as last read, with its length then: one reference, swapped whole, so concurrent
    /// readers never pair one read's length with another's contents.</summary>
    sealed record PeopleSnapshot(long Length, IReadOnlyDictionary<string, LocalPerson> People);

    PeopleSnapshot? peopleCache;

    /// <summary>Everyone this directory knows, by id (re-read whenever the append-only file has grown).</summary>
    public IReadOnlyDictionary<string, LocalPerson> People()
    {
        var info = new FileInfo(Path.Combine(directory, PeopleFileName));
        var length = info.Exists ? info.Length : -1;
        if (Volatile.Read(ref peopleCache) is { } cached && cached.Length == length)
        {
            return cached.People;
        }

        var people = ReadPeople(directory);
        Volatile.Write(ref peopleCache, new PeopleSnapshot(length, people));
        return people;
    }

    /// <summary>Adds people to this directory (tests and the CLI's <c>users add</c>).</summary>
    public void Add(params LocalPerson[] people) => AddPeople(directory, people);

    public LocalUser? Find(string userId) => All().TryGetValue(userId, out var user) ? user : null;

    /// <summary>The log as last folded: the offset just past its last complete line and the users up to there. One
    /// reference, swapped whole; a fold reads only what was appended since, so each reset costs the same whatever
    /// the log's length (folding it whole on every reset made a run of n resets cost n²).</summary>
    sealed record LogSnapshot(long Offset, ImmutableDictionary<string, LocalUser> Users);

    static readonly LogSnapshot EmptyLog = new(0, ImmutableDictionary.Create<string, LocalUser>(StringComparer.Ordinal));
    readonly Lock foldGate = new();
    LogSnapshot log = EmptyLog;

    /// <summary>Every user, folded from the log: the last hash, how many resets, when.</summary>
    public IReadOnlyDictionary<string, LocalUser> All()
    {
        lock (foldGate)
        {
            log = Fold(Path.Combine(directory, FileName), log);
            return log.Users;
        }
    }

    /// <summary>Folds a data directory's <c>users.jsonl</c> (tests and tools read it from outside the host too).</summary>
    public static IReadOnlyDictionary<string, LocalUser> Read(string directory) => Fold(Path.Combine(directory, FileName), EmptyLog).Users;

    /// <summary>Folds the lines appended after <paramref name="from"/>'s offset into its users.</summary>
    static LogSnapshot Fold(string path, LogSnapshot from)
    {
        var (sets, offset) = JsonLines.ReadAppended(path, from.Offset, LocalLineJsonContext.Default.LocalPasswordSet);
        var users = (offset < from.Offset ? EmptyLog : from).Users.ToBuilder();
        foreach (var set in sets)
        {
            users.TryGetValue(set.Id, out var previous);
            users[set.Id] = new LocalUser(set.Id, set.Hash, set.Salt, true, (previous?.Resets ?? 0) + 1, set.At);
        }

        return new LogSnapshot(offset, users.ToImmutable());
    }

    /// <summary>True when <paramref name="password"/> is the user's current password.</summary>
    public bool Verify(string userId, string password)
    {
        var user = Find(userId);
        if (user?.PasswordHash is null || user.Salt is null)
        {
            return false;
        }

        var salt = Convert.FromBase64String(user.Salt);
        var (stored, hash) = user.PasswordHash.StartsWith(HmacPrefix, StringComparison.Ordinal)
            ? (user.PasswordHash[HmacPrefix.Length..], Hmac(salt, password))
            : (user.PasswordHash, Rfc2898DeriveBytes.Pbkdf2(password, salt, LegacyIterations, HashAlgorithmName.SHA256, 32));
        return CryptographicOperations.FixedTimeEquals(hash, Convert.FromBase64String(stored));
    }

    static byte[] Hmac(byte[] salt, string password) => HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(password));
}

/// <summary>One change to a local group, as its log records it: <c>added</c> or <c>removed</c>.</summary>
public sealed record LocalMembershipChange(string Group, string Member, string Change, DateTimeOffset At);

/// <summary>The local Microsoft Graph's store of memberships (<see cref="Graph.GraphEmulator"/> serves it over HTTP): an append-only log (<c>groups.jsonl</c>) of every membership change
/// — the record tests count from — folded into who is in which group. A change that would change nothing (adding a
/// member, removing a non-member) writes nothing, so the log holds exactly the changes that happened.</summary>
public sealed class FileGroups(string directory, TimeProvider time)
{
    public const string FileName = "groups.jsonl";
    public const string Added = "added", Removed = "removed";

    /// <summary>The local host's group for the emulator's requestable "Production" resource.</summary>
    public const string ProductionGroup = "production-access";

    readonly Lock gate = new();
    readonly Lock writeGate = new();
    (long Offset, ImmutableDictionary<string, ImmutableHashSet<string>> Members) folded = (0, ImmutableDictionary<string, ImmutableHashSet<string>>.Empty);

    string PathOf => Path.Combine(directory, FileName);

    /// <summary>Who is in <paramref name="groupId"/> now.</summary>
    public IReadOnlySet<string> Members(string groupId)
    {
        lock (gate)
        {
            return Fold().TryGetValue(groupId, out var members) ? members : ImmutableHashSet<string>.Empty;
        }
    }

    /// <summary>Every change ever made, in order (tests and tools read it from outside the host too).</summary>
    public static IReadOnlyList<LocalMembershipChange> Log(string directory) =>
        JsonLines.ReadAppended(Path.Combine(directory, FileName), 0, LocalLineJsonContext.Default.LocalMembershipChange).Lines;

    /// <summary>Makes one change (<see cref="Added"/> or <see cref="Removed"/>) if it changes anything; false when the
    /// membership already was as asked.</summary>
    public bool TryChange(string groupId, string memberId, string change)
    {
        lock (gate) // check and write as one step: two overlapping attempts make one change
        {
            var isMember = Fold().TryGetValue(groupId, out var members) && members.Contains(memberId);
            if (isMember == (change == Added))
            {
                return false;
            }

            JsonLines.Append(PathOf, new LocalMembershipChange(groupId, memberId, change, time.GetUtcNow()), LocalLineJsonContext.Default.LocalMembershipChange, writeGate);
            return true;
        }
    }

    ImmutableDictionary<string, ImmutableHashSet<string>> Fold()
    {
        var (changes, offset) = JsonLines.ReadAppended(PathOf, folded.Offset, LocalLineJsonContext.Default.LocalMembershipChange);
        var groups = offset < folded.Offset ? ImmutableDictionary<string, ImmutableHashSet<string>>.Empty : folded.Members;
        foreach (var c in changes)
        {
            var members = groups.TryGetValue(c.Group, out var m) ? m : ImmutableHashSet.Create<string>(StringComparer.Ordinal);
            groups = groups.SetItem(c.Group, c.Change == Added ? members.Add(c.Member) : members.Remove(c.Member));
        }

        folded = (offset, groups);
        return groups;
    }
}

/// <summary>The laptop's stand-in for Key Vault: one owner-only file per temporary credential under
/// <c>secrets/</c>. The reference (<c>local-secret://…</c>) is what travels; the value stays in the file.</summary>
public sealed class FileCredentialStore(string directory, TimeProvider? timeProvider = null) : ICredentialStore
{
    readonly TimeProvider time = timeProvider ?? TimeProvider.System;
    int failNextMarks;

    /// <summary>Fault injection for tests: the next <paramref name="count"/> "mark applied" calls fail (a Key Vault outage).</summary>
    public void FailNextMarks(int count) => Interlocked.Exchange(ref failNextMarks, count);

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
        return Task.FromResult<StoredCredential?>(new StoredCredential(name, ReferencePrefix + name, stored.Value, stored.ExpiresOn, stored.Applied, stored.CreatedOn));
    }

    /// <summary>Create-if-absent: the file is written aside and moved into place without overwriting, so of two
    /// overlapping writers the first wins and the second adopts its credential.</summary>
    public async Task<StoredCredential> AddAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        OwnerOnly.Directory(directory);
        var path = PathOf(name);
        var json = JsonSerializer.Serialize(new LocalSecret(value, expiresOn, false, new Dictionary<string, string>(tags), time.GetUtcNow()), LocalJsonContext.Default.LocalSecret);
        OwnerOnly.CreateAtomically(path, json);
        return (await GetAsync(name, cancellationToken))!;
    }

    public Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default)
    {
        if (Faults.Take(ref failNextMarks))
        {
            throw new IOException("injected credential-store outage");
        }

        var path = PathOf(name);
        var stored = JsonSerializer.Deserialize(File.ReadAllText(path), LocalJsonContext.Default.LocalSecret)!;
        OwnerOnly.WriteAtomically(path, JsonSerializer.Serialize(stored with { Applied = true, Tags = new Dictionary<string, string>(stored.Tags) { ["applied"] = "true" } }, LocalJsonContext.Default.LocalSecret));
        return Task.CompletedTask;
    }

    public Task<bool> DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        var existed = File.Exists(path);
        File.Delete(path);
        return Task.FromResult(existed);
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

public sealed record LocalSecret(string Value, DateTimeOffset ExpiresOn, bool Applied, Dictionary<string, string> Tags, DateTimeOffset? CreatedOn = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(LocalSecret))]
internal sealed partial class LocalJsonContext : JsonSerializerContext;

/// <summary>One JSON document per line for the append-only user log.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LocalPasswordSet))]
[JsonSerializable(typeof(LocalPerson))]
[JsonSerializable(typeof(LocalMembershipChange))]
internal sealed partial class LocalLineJsonContext : JsonSerializerContext;
