using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Actions;

/// <summary>The result of a password reset: where the temporary credential is, never the credential itself.</summary>
public sealed record PasswordResetOutcome(string UserId, string CredentialReference, DateTimeOffset ExpiresOn, bool ForceChangeAtNextSignIn);

/// <summary>A user as the directory knows them: the names they sign in with (user principal name, mail) and whether
/// the account is enabled.</summary>
public sealed record DirectoryUser(string Id, string? DisplayName, string? UserPrincipalName, string? Mail, bool Enabled)
{
    /// <summary>Every name that identifies this person to Indent (for the four-eyes check).</summary>
    public IReadOnlyList<string> SignInNames => new[] { UserPrincipalName, Mail }.Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}

/// <summary>Where users live (Entra ID in Azure, a local file on a laptop).</summary>
public interface IUserDirectory
{
    /// <summary>The user, or <c>null</c> when the directory has no such user.</summary>
    Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="password"/> as the user's password, to be changed at next sign-in.
    /// Throws <see cref="UserNotFoundException"/> when there is no such user.</summary>
    Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default);

    /// <summary>When the user's password last changed, by the directory's own record (Graph's
    /// <c>lastPasswordChangeDateTime</c>); <c>null</c> when never. Throws <see cref="UserNotFoundException"/>.</summary>
    Task<DateTimeOffset?> GetPasswordChangedAtAsync(string userId, CancellationToken cancellationToken = default);
}

public sealed class UserNotFoundException(string userId) : Exception($"User '{userId}' was not found in the directory.");

/// <summary>A temporary credential as stored; <see cref="CreatedOn"/> is the store's own clock (null when it kept none).</summary>
public sealed record StoredCredential(string Name, string Reference, string Value, DateTimeOffset ExpiresOn, bool Applied, DateTimeOffset? CreatedOn = null);

/// <summary>Where temporary credentials are kept (Key Vault in Azure, an owner-only file store on a laptop).
/// Only the <see cref="StoredCredential.Reference"/> ever travels through the workflow.</summary>
public interface ICredentialStore
{
    Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a new credential (not yet applied) unless one of that name exists: create-if-absent, so two
    /// overlapping attempts end up with the same credential. Returns the credential that is stored under the name.</summary>
    Task<StoredCredential> AddAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default);

    /// <summary>Records that the credential has been set on the user.</summary>
    Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Destroys the credential for good (after its one reveal, or its expiry); false when it was already gone.</summary>
    Task<bool> DestroyAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Resets a password at most once per approval, deciding from the directory's own state: the credential is
/// generated once and stored create-if-absent (not applied), then set on the user only if the directory says the
/// password has not changed since it was stored, then marked applied. A retry after a crash at any point — before the
/// write, or between the write and the mark — finishes the same reset with the same credential and never writes a
/// second time; two overlapping attempts adopt one credential. Once the directory holds the credential, the reset is
/// reported done even if marking it fails (the mark is a cache; the directory is the truth).</summary>
public sealed class PasswordResetService(IUserDirectory directory, ICredentialStore store, TimeProvider timeProvider, ILogger<PasswordResetService>? logger = null)
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
        var credential = await store.GetAsync(name, cancellationToken)
            ?? await store.AddAsync(name, TemporaryPassword.Generate(), timeProvider.GetUtcNow() + CredentialLifetime, new Dictionary<string, string>
            {
                ["user"] = userId,
                ["approval"] = instanceId,
                ["applied"] = "false",
            }, cancellationToken);
        var outcome = new PasswordResetOutcome(userId, credential.Reference, credential.ExpiresOn, true);
        if (credential.Applied)
        {
            return outcome;
        }

        try
        {
            if (await AlreadyAppliedAsync(userId, credential, cancellationToken))
            {
                // An earlier attempt set it and died before marking it: the directory says so; do not write again.
                logger?.LogInformation("Credential for approval {InstanceId} already set on {UserId}; not writing again", instanceId, userId);
            }
            else
            {
                await directory.SetTemporaryPasswordAsync(userId, credential.Value, cancellationToken);
            }
        }
        catch (UserNotFoundException e)
        {
            throw new Workflow.PermanentActivityFailureException(e.Message, e);
        }
        catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Forbidden)
        {
            // A refusal that retrying cannot change: say what it most likely means, and stop the retries.
            throw new Workflow.PermanentActivityFailureException(Explain(e), e);
        }

        try
        {
            await store.MarkAppliedAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The password is set: report the reset that happened. A later retry decides from the directory again.
            logger?.LogWarning("Credential for approval {InstanceId} is set but could not be marked applied: {Error}", instanceId, e.GetType().Name);
        }

        return outcome;
    }

    static string Explain(HttpRequestException e) => e.StatusCode == System.Net.HttpStatusCode.Forbidden
        ? e.Message + " The app needs the Graph permissions User-PasswordProfile.ReadWrite.All and User.Read.All and the User Administrator role over this user (tenant-wide or on the user's administrative unit); an administrator's password needs Privileged Authentication Administrator, which the app deliberately lacks (docs/DEPLOY.md, step 3)."
        : e.Message + " Entra refused the password: for example the user is federated or synchronized from on-premises, whose password is not set in Entra (docs/DEPLOY.md).";

    /// <summary>True when the directory's password changed at or after the credential was stored — only our own write
    /// can have done that within a reset's crash window. Graph reports <c>lastPasswordChangeDateTime</c> in whole
    /// seconds, so the store's time is compared at that precision (a write in the same second as the store counts).</summary>
    async Task<bool> AlreadyAppliedAsync(string userId, StoredCredential credential, CancellationToken cancellationToken) =>
        credential.CreatedOn is { } storedAt && await directory.GetPasswordChangedAtAsync(userId, cancellationToken) is { } changedAt
        && changedAt >= storedAt.AddTicks(-(storedAt.Ticks % TimeSpan.TicksPerSecond));
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
