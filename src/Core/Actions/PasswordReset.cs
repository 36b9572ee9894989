using System.Security.Cryptography;
using System.Text;

namespace Approvals.Core.Actions;

/// <summary>The result of a password reset: where the temporary credential is, never the credential itself.</summary>
public sealed record PasswordResetOutcome(string UserId, string CredentialReference, DateTimeOffset ExpiresOn, bool ForceChangeAtNextSignIn);

/// <summary>Where users live (Entra ID in Azure, a local file on a laptop).</summary>
public interface IUserDirectory
{
    /// <summary>Sets <paramref name="password"/> as the user's password, to be changed at next sign-in.
    /// Throws <see cref="UserNotFoundException"/> when there is no such user.</summary>
    Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default);
}

public sealed class UserNotFoundException(string userId) : Exception($"User '{userId}' was not found in the directory.");

/// <summary>A temporary credential as stored.</summary>
public sealed record StoredCredential(string Name, string Reference, string Value, DateTimeOffset ExpiresOn, bool Applied);

/// <summary>Where temporary credentials are kept (Key Vault in Azure, an owner-only file store on a laptop).
/// Only the <see cref="StoredCredential.Reference"/> ever travels through the workflow.</summary>
public interface ICredentialStore
{
    Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a new credential (not yet applied) and returns its reference.</summary>
    Task<string> PutAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default);

    /// <summary>Records that the credential has been set on the user.</summary>
    Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Resets a password idempotently, keyed by the approval: the credential is generated once, stored
/// (not applied), set on the user, then marked applied. A retry after a crash at any point finishes the same
/// reset with the same credential instead of making a second one.</summary>
public sealed class PasswordResetService(IUserDirectory directory, ICredentialStore store, TimeProvider timeProvider)
{
    /// <summary>How long the temporary credential stays readable by the helpdesk/user.</summary>
    public static readonly TimeSpan CredentialLifetime = TimeSpan.FromHours(24);

    /// <summary>A name safe for Key Vault (alphanumerics and dashes), derived from the approval id.</summary>
    public static string CredentialName(string instanceId) =>
        "tmp-pw-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)))[..40];

    public async Task<PasswordResetOutcome?> FindCompletedAsync(string instanceId, string userId, CancellationToken cancellationToken = default)
    {
        var existing = await store.GetAsync(CredentialName(instanceId), cancellationToken);
        return existing is { Applied: true } ? new PasswordResetOutcome(userId, existing.Reference, existing.ExpiresOn, true) : null;
    }

    public async Task<PasswordResetOutcome> ResetAsync(string instanceId, string userId, CancellationToken cancellationToken = default)
    {
        var name = CredentialName(instanceId);
        var existing = await store.GetAsync(name, cancellationToken);
        if (existing is { Applied: true })
        {
            return new PasswordResetOutcome(userId, existing.Reference, existing.ExpiresOn, true);
        }

        string password, reference;
        DateTimeOffset expiresOn;
        if (existing is not null)
        {
            // Stored by an attempt that crashed before (or while) applying it: apply the same credential.
            (password, reference, expiresOn) = (existing.Value, existing.Reference, existing.ExpiresOn);
        }
        else
        {
            password = TemporaryPassword.Generate();
            expiresOn = timeProvider.GetUtcNow() + CredentialLifetime;
            reference = await store.PutAsync(name, password, expiresOn, new Dictionary<string, string>
            {
                ["user"] = userId,
                ["approval"] = instanceId,
                ["applied"] = "false",
            }, cancellationToken);
        }

        try
        {
            await directory.SetTemporaryPasswordAsync(userId, password, cancellationToken);
        }
        catch (UserNotFoundException e)
        {
            throw new Workflow.PermanentActivityFailureException(e.Message, e);
        }

        await store.MarkAppliedAsync(name, cancellationToken);
        return new PasswordResetOutcome(userId, reference, expiresOn, true);
    }
}

/// <summary>Temporary passwords from a CSPRNG: 20 characters with upper, lower, digit and symbol (Entra's complexity rule).</summary>
public static class TemporaryPassword
{
    const string Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    const string Lower = "abcdefghijkmnopqrstuvwxyz";
    const string Digits = "23456789";
    const string Symbols = "!@#$%^&*-_=+?";

    public static string Generate(int length = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 12);
        var alphabet = (Upper + Lower + Digits + Symbols).ToCharArray();
        while (true)
        {
            var candidate = RandomNumberGenerator.GetItems<char>(alphabet, length);
            if (candidate.Any(Upper.Contains) && candidate.Any(Lower.Contains) && candidate.Any(Digits.Contains) && candidate.Any(Symbols.Contains))
            {
                return new string(candidate);
            }
        }
    }
}
