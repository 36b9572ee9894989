using System.Security.Cryptography;
using System.Text.Json;

namespace KeyRotation;

/// <summary>A rotated key: its name, its new version, the rotation that made it and who approved it.</summary>
public sealed record RotatedKey(string KeyName, string Version, string RotationId, string ApprovedBy, DateTimeOffset At);

/// <summary>Where the app's keys live (in Azure: the storage account's <c>regenerateKey</c>).</summary>
public interface IKeyStore
{
    /// <summary>Rotates <paramref name="keyName"/> once per <paramref name="rotationId"/>: a repeat returns the first result.</summary>
    Task<RotatedKey> RotateAsync(string keyName, string rotationId, string approvedBy);
}

/// <summary>A stand-in key store for the sample: every rotation is a line in <c>rotations.jsonl</c> in its folder (the
/// record of what ran, whatever the workflow says); a rotation already recorded is not made again.</summary>
public sealed class FileKeyStore(string folder) : IKeyStore
{
    readonly SemaphoreSlim gate = new(1, 1);

    public string LogPath { get; } = Path.Combine(folder, "rotations.jsonl");

    public async Task<RotatedKey> RotateAsync(string keyName, string rotationId, string approvedBy)
    {
        await gate.WaitAsync();
        try
        {
            if (Rotations().FirstOrDefault(r => r.RotationId == rotationId) is { } done)
            {
                return done;
            }

            Directory.CreateDirectory(folder);
            var rotated = new RotatedKey(keyName, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), rotationId, approvedBy, DateTimeOffset.UtcNow);
            await File.AppendAllTextAsync(LogPath, JsonSerializer.Serialize(rotated) + "\n");
            return rotated;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every rotation made, oldest first.</summary>
    public IReadOnlyList<RotatedKey> Rotations() =>
        File.Exists(LogPath) ? [.. File.ReadAllLines(LogPath).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<RotatedKey>(l)!)] : [];
}
