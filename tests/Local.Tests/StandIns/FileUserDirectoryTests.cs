using System.Security.Cryptography;
using System.Text.Json;
using Approvals.Local.Actions;

namespace Approvals.Local.Tests.StandIns;

/// <summary>The local directory's password record: what it sets verifies, nothing else does, and a line written by an
/// earlier version (PBKDF2) still verifies.</summary>
public sealed class FileUserDirectoryTests : IDisposable
{
    readonly string data = Directory.CreateTempSubdirectory("approvals-users-").FullName;

    public void Dispose() => Directory.Delete(data, recursive: true);

    [Fact]
    public async Task SetTemporaryPassword_ThatPasswordVerifies_NoOtherDoes()
    {
        var directory = new FileUserDirectory(data, TimeProvider.System);

        await directory.SetTemporaryPasswordAsync("ada", "Xy7!kLm2#pQr9$tUv4&w");

        Assert.True(directory.Verify("ada", "Xy7!kLm2#pQr9$tUv4&w"));
        Assert.False(directory.Verify("ada", "Xy7!kLm2#pQr9$tUv4&x"));
        Assert.False(directory.Verify("bob", "Xy7!kLm2#pQr9$tUv4&w"));
        Assert.DoesNotContain("Xy7!kLm2", await File.ReadAllTextAsync(Path.Combine(data, FileUserDirectory.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ALineFromAnEarlierVersion_StillVerifies()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2("Old-Pa55word!xyzABCD", salt, 10_000, HashAlgorithmName.SHA256, 32);
        var line = JsonSerializer.Serialize(new { id = "ada", hash = Convert.ToBase64String(hash), salt = Convert.ToBase64String(salt), at = DateTimeOffset.UtcNow });
        File.WriteAllText(Path.Combine(data, FileUserDirectory.FileName), line + "\n");
        var directory = new FileUserDirectory(data, TimeProvider.System);

        Assert.True(directory.Verify("ada", "Old-Pa55word!xyzABCD"));
        Assert.False(directory.Verify("ada", "Old-Pa55word!xyzABCE"));
    }

    [Fact]
    public async Task Verify_AFileSavedWithAByteOrderMark_ItsFirstLineCounts()
    {
        // Arrange: the log as an editor that writes a UTF-8 byte order mark saves it.
        var writer = Path.Combine(data, "writer");
        await new FileUserDirectory(writer, TimeProvider.System).SetTemporaryPasswordAsync("ada", "Bom-Pa55word!xyzABCD");
        var line = await File.ReadAllBytesAsync(Path.Combine(writer, FileUserDirectory.FileName));
        await File.WriteAllBytesAsync(Path.Combine(data, FileUserDirectory.FileName), [.. "\uFEFF"u8, .. line]);

        // Act
        var directory = new FileUserDirectory(data, TimeProvider.System);

        // Assert
        Assert.True(directory.Verify("ada", "Bom-Pa55word!xyzABCD"));
        Assert.Contains("ada", directory.All().Keys);
    }
}
